package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.testing.FakeWallClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code greylitectl db purge} run while the host's clock is set years ahead (libfaketime in its process only): every
 * row looks expired by that clock, and deleting by it emptied the greydb for good, the auto-whitelist included, so
 * that once the clock was right again every client was greylisted anew. A greydb with no use from between 12 hours
 * and 36 days before the clock is what such a clock leaves, and the purge then removes only what had expired 12 hours
 * after the latest use. The rows are written by the engine at the real time.
 */
class PurgeClockAheadTest {

    static final GreylistSettings SETTINGS = GreylistSettings.defaults().withClientKeys(ClientKeys.exactAddresses());

    @TempDir
    Path dir;

    Path db;
    GreylistStore store;

    @BeforeEach
    void open() {
        db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Verdict decide(Instant at, String ip, String from, String to) {
        return Engines.decide(Engines.on(store, SETTINGS, Clock.fixed(at, ZoneOffset.UTC)), ip, "", from, to);
    }

    private long count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * A client whitelisted three days ago, triplets pending for 2 and 13 hours, and one pending for 30 hours, past
     * the retry window of a day: only that one has expired.
     */
    private Instant aGreydbInUse() throws Exception {
        Instant now = Instant.now();
        decide(now.minus(Duration.ofDays(3)), "192.0.2.1", "a@x.example", "b@y.example");
        assertEquals(Verdict.Reason.PASSED,
                decide(now.minus(Duration.ofDays(3)).plus(Duration.ofMinutes(10)), "192.0.2.1", "a@x.example", "b@y.example").reason());
        decide(now.minus(Duration.ofHours(30)), "203.0.113.9", "old@x.example", "d@y.example");
        decide(now.minus(Duration.ofHours(13)), "198.51.100.8", "e@x.example", "d@y.example");
        decide(now.minus(Duration.ofHours(2)), "198.51.100.7", "c@x.example", "d@y.example");
        return now;
    }

    @Test
    void aClockYearsAheadDeletesNothingStillInUse() throws Exception {
        Instant now = aGreydbInUse();
        FakeWallClock clock = FakeWallClock.in(dir);
        clock.step(Duration.ofDays(5 * 365));
        Map<String, String> env = new HashMap<>(clock.environment());
        env.put("DBFILE", db.toString());

        Ctl.MainRun purge = Ctl.main(env, "db", "purge");

        assertEquals(0, purge.run().exit(), purge.toString());
        assertEquals(1, count("SELECT COUNT(*) FROM whitelist WHERE client = '192.0.2.1'"),
                "the auto-whitelist entry, used three days ago, stays: " + purge);
        assertEquals(3, count("SELECT COUNT(*) FROM triplet"), "the passed triplet and those pending for 2 and 13 hours: "
                + purge);
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE client = '203.0.113.9'"),
                "the triplet pending for 30 hours had expired before the clock went ahead: " + purge);
        assertTrue(purge.run().out().startsWith("purged 1 expired row "), purge.toString());
        assertTrue(purge.run().err().contains("as a clock set ahead leaves it"), "said, with why: " + purge);

        // Once the clock is right again, the whitelisted client passes at once, as before the step.
        assertEquals(Verdict.Reason.WHITELISTED,
                decide(now.plus(Duration.ofMinutes(1)), "192.0.2.1", "new@x.example", "b@y.example").reason());
    }

    @Test
    void aClockThatIsRightPurgesAsBefore() throws Exception {
        Instant now = aGreydbInUse();

        Ctl.Run purge = Ctl.run(Map.of("DBFILE", db.toString()), Clock.fixed(now, ZoneOffset.UTC), "db", "purge");

        assertEquals(0, purge.exit(), purge.toString());
        assertEquals("purged 1 expired row (retry window 1d (greydb), whitelist lifetime 36d (greydb))\n", purge.out());
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE client = '203.0.113.9'"));
        assertEquals(3, count("SELECT COUNT(*) FROM triplet"));
    }
}
