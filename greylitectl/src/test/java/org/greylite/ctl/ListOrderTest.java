package org.greylite.ctl;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code greylitectl db list} and {@code db stats} order the clients of a real SQLite greydb by address. */
class ListOrderTest {

    @TempDir
    Path dir;

    @Test
    void clientsAreListedByAddressNotByText() {
        Path db = dir.resolve("greylite.db");
        Clock clock = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Map<String, String> env = Map.of("DBFILE", db.toString());
            new ListOrderScenario(EnginesAndCtl.on(store, clock, args -> Ctl.run(env, clock, args))).run();
        }
    }
}
