package org.greylite.ctl;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
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
            new EngineKeysScenario(
                    keys -> new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults().withClientKeys(keys),
                            Clock.systemUTC(), (r, v) -> { }),
                    args -> Ctl.run(Map.of("DBFILE", db.toString()), args)).run();
        }
    }
}
