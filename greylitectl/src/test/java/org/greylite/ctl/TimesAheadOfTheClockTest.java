package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.greylite.store.GreylistStores;
import org.greylite.testing.MiniJson;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows written while the clock was five years ahead, read once it is right again: db list and db stats show what the
 * engine does with them (it takes such a time as now), not a retry counting in five years or a pass that took them.
 */
class TimesAheadOfTheClockTest {

    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    static final long AHEAD = NOW.plus(Duration.ofDays(5 * 365)).getEpochSecond();

    @TempDir
    Path dir;

    Path db;

    @BeforeEach
    void rowsWrittenWithTheClockAhead() throws Exception {
        db = dir.resolve("greylite.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        long now = NOW.getEpochSecond();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            // refused once while the clock was ahead
            st.execute("INSERT INTO triplet VALUES ('192.0.2.7', 'a@example.org', 'b@example.com', 1, " + AHEAD + ", "
                    + AHEAD + ", NULL)");
            // first refused ten minutes ago, passed when the clock had jumped ahead
            st.execute("INSERT INTO triplet VALUES ('198.51.100.8', 'c@example.org', 'd@example.com', 1, "
                    + (now - 600) + ", " + AHEAD + ", " + AHEAD + ")");
        }
    }

    @Test
    void aPendingRetryCountsAfterMinDelayFromNow() {
        Ctl.Run list = Ctl.run(Map.of(), Clock.fixed(NOW, ZoneOffset.UTC), "db", "list", "--pending", "--format", "json",
                "--db", db.toString());
        assertEquals(0, list.exit(), list.toString());
        Map<?, ?> row = (Map<?, ?>) ((List<?>) MiniJson.parse(list.out())).get(0);
        assertEquals(NOW.plus(Duration.ofMinutes(5)).toString(), row.get("retry_counts_from"), list.out());
        assertEquals(Instant.ofEpochSecond(AHEAD).toString(), row.get("first_seen"), list.out()); // as held
        assertTrue(list.err().contains("192.0.2.7") && list.err().contains("later than the clock"), list.err());
    }

    @Test
    void aPassTakesTheTimeUntilNowAtMost() {
        Ctl.Run stats = Ctl.run(Map.of(), Clock.fixed(NOW, ZoneOffset.UTC), "db", "stats", "--format", "json",
                "--db", db.toString());
        assertEquals(0, stats.exit(), stats.toString());
        Map<?, ?> s = (Map<?, ?>) MiniJson.parse(stats.out());
        assertEquals(600L, ((Number) s.get("median_seconds_to_pass")).longValue(), stats.out());
    }
}
