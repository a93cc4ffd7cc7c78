package org.greylite.ctl;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code greylitectl db list|delete} find, in a real SQLite greydb, what the engine keyed for an address. */
class DbKeysTest {

    @TempDir
    Path dir;

    @Test
    void addressesFromTheLogFindTheRowsTheEngineKeyed() {
        Path db = dir.resolve("greylite.db");
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Map<String, String> env = Map.of("DBFILE", db.toString());
            new EngineKeysScenario(EnginesAndCtl.on(store, Clock.systemUTC(), args -> Ctl.run(env, args))).run();
        }
    }
}
