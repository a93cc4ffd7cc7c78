package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import org.greylite.greylist.Verdict.Action;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whitelist entry that has expired but is not purged yet, on a real greydb file: it counts as absent (SPEC §3.7),
 * also when the client earns the auto-whitelist again. The pass writes a new entry in its place, and the purge, which
 * judges the row by what it holds, leaves that entry alone.
 */
class ExpiredWhitelistEntryTest {

    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Duration MIN_DELAY = GreylistSettings.DEFAULT_MIN_DELAY;
    /** The key the engine gives 192.0.2.7 without a PTR name (smart: its /24). */
    private static final String KEY = "192.0.2.0/24";

    @TempDir
    Path dir;

    private Path db;
    private GreylistStore store;
    private final MutableClock clock = new MutableClock(T0);
    private Greylister engine;

    @BeforeEach
    void open() {
        db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
        engine = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, (r, v) -> { });
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Verdict attempt(String recipient) {
        return engine.decide(GreylisterTest.rcpt("192.0.2.7", "a@example.net", recipient));
    }

    /** Greylisted once, then passed at its retry: the client earns the auto-whitelist. */
    private void passOnce(String recipient) {
        assertEquals(Reason.FIRST_ATTEMPT, attempt(recipient).reason());
        clock.advance(MIN_DELAY);
        Verdict retry = attempt(recipient);
        assertEquals(Reason.PASSED, retry.reason(), retry.toString());
    }

    @Test
    void aClientWhoseHandMadeEntryEndedEarnsTheAutoWhitelistAtItsNextPass() throws Exception {
        long ended = T0.minus(Duration.ofHours(1)).getEpochSecond();
        long made = T0.minus(Duration.ofDays(30)).getEpochSecond();
        execute("INSERT INTO whitelist (client, source, created, last_seen, expires, comment) VALUES ('" + KEY
                + "', 'admin', " + made + ", " + made + ", " + ended + ", 'during the migration')");

        passOnce("b@example.org");
        Verdict next = attempt("c@example.org");
        assertEquals(Action.ACCEPT, next.action(), "the pass put the client on the auto-whitelist: " + next);
        assertEquals(Reason.WHITELISTED, next.reason(), next.toString());

        long now = clock.instant().getEpochSecond();
        assertEquals("auto " + now + " " + now + " null null", entry(), "a new entry, in place of the one that ended");
        engine.purgeExpired();
        assertEquals(Reason.WHITELISTED, attempt("d@example.org").reason(), "the purge leaves the entry earned");
    }

    @Test
    void anAutoEntryEarnedAgainAfterItsLifetimeIsANewEntry() throws Exception {
        long lapsed = T0.minus(GreylistSettings.DEFAULT_WHITELIST_LIFETIME).minus(Duration.ofDays(1)).getEpochSecond();
        long made = T0.minus(Duration.ofDays(400)).getEpochSecond();
        execute("INSERT INTO whitelist (client, source, created, last_seen) VALUES ('" + KEY + "', 'auto', " + made
                + ", " + lapsed + ")");

        passOnce("b@example.org");
        long now = clock.instant().getEpochSecond();
        assertEquals("auto " + now + " " + now + " null null", entry(),
                "created when earned again: the lapsed entry counted as absent");
        assertEquals(Reason.WHITELISTED, attempt("c@example.org").reason());
    }

    private String entry() throws SQLException {
        return entry(KEY);
    }

    private String entry(String client) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT source, created, last_seen, expires, comment FROM whitelist"
                     + " WHERE client = '" + client + "'")) {
            return rs.next() ? rs.getString(1) + " " + rs.getLong(2) + " " + rs.getLong(3) + " " + rs.getString(4)
                    + " " + rs.getString(5) : "none";
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
