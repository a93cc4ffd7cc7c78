package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The purge the wrapper's sessions take turns at, on a real greydb file and the real clock. */
class WrapperPurgeTest {

    @TempDir
    Path dir;

    private Path db() {
        return dir.resolve("greylite.db");
    }

    private Map<String, String> env() {
        return Harness.env(db(), "GREYLITE_MIN_DELAY", "0");
    }

    /** One session that asks for one recipient and ends, after which it takes the purge round if it is due. */
    private void session(String recipient) throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env())) {
            assertEquals("220 upstream ESMTP", h.reply());
            h.command("EHLO client.example");
            h.command("MAIL FROM:<a@example.org>");
            assertTrue(h.command("RCPT TO:<" + recipient + ">").startsWith("451 4.7.1 "));
            assertEquals("221 bye", h.command("QUIT"));
            assertEquals(0, h.exitStatus());
        }
    }

    @Test
    void aLastPurgeRecordedByAClockYearsAheadDoesNotStopThePurge() throws Exception {
        session("first@example.com");
        long now = Instant.now().getEpochSecond();
        long ahead = Instant.now().plus(Duration.ofDays(5 * 365)).getEpochSecond();
        long twoDaysAgo = now - Duration.ofDays(2).getSeconds();
        execute("INSERT INTO greydb_meta (key, value) VALUES ('last_purge', '" + ahead + "')"
                + " ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        execute("INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen)"
                + " VALUES ('198.51.100.0/24', 'x@example.net', 'stale@example.com', 1, " + twoDaysAgo + ", " + twoDaysAgo + ")");

        session("second@example.com");

        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE recipient = 'stale@example.com'"),
                "the pending triplet two days old, past the retry window, is purged");
        assertTrue(count("SELECT CAST(value AS INTEGER) FROM greydb_meta WHERE key = 'last_purge'") < ahead,
                "the round is recorded at this clock's time");
    }

    private long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db());
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db()); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
