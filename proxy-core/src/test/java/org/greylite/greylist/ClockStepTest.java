package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.RuleMatch;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A greydb holding times later than the clock, on a real greydb file: the clock stepped back (NTP correcting a host
 * that started with its clock ahead, a virtual machine restored from a snapshot, a date set by hand), or another MX
 * host sharing the greydb runs ahead. A retry then waits min-delay from now, not the step, and shows no behaviour.
 */
class ClockStepTest {

    static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    static final Duration MIN_DELAY = GreylistSettings.DEFAULT_MIN_DELAY;

    /** greylite(8)'s trap for clients that retry too fast: "100 b retryinterval". */
    private static final RuleMatch TRAP = new RuleMatch("suspicion", 9, "100 b retryinterval");
    private static final SuspicionPolicy RETRY_TRAP = f -> f.behaviours().contains(Behaviour.RETRYINTERVAL)
            ? new Suspicion(100, TRAP) : Suspicion.NONE;

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
        engine = new Greylister(store, RETRY_TRAP, GreylistSettings.defaults(), clock, (r, v) -> { });
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Verdict attempt() {
        return engine.decide(GreylisterTest.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
    }

    @Test
    void aRetryAfterTheClockSteppedBackAnHourWaitsMinDelayAndIsNotTakenForAFastRetry() throws Exception {
        assertEquals(Reason.FIRST_ATTEMPT, attempt().reason());
        clock.set(T0.minus(Duration.ofHours(1)).plus(MIN_DELAY));

        Verdict early = attempt();
        assertEquals(Reason.EARLY_RETRY, early.reason(), early.toString());
        assertNull(early.rule(), "a time that went backwards shows no retry sooner than greylite's schedule");
        assertEquals(MIN_DELAY.getSeconds(), early.retryAfterSeconds(), "min-delay from now, not the hour the clock stepped");
        assertEquals(0, count("SELECT COUNT(*) FROM client_behaviour"), "nothing remembered against the client");

        clock.advance(MIN_DELAY);
        Verdict retry = attempt();
        assertEquals(Action.ACCEPT, retry.action(), retry.toString());
        assertEquals(1, count("SELECT COUNT(*) FROM whitelist"), "the client earned the auto-whitelist");
        long now = clock.instant().getEpochSecond();
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE first_seen > " + now + " OR last_seen > " + now
                + " OR passed_at > " + now), "the row holds no time later than the clock any more");
    }

    @Test
    void aPendingRowWrittenByAHostYearsAheadIsRefusedOnceMoreAndPassesMinDelayLater() throws Exception {
        assertEquals(Reason.FIRST_ATTEMPT, attempt().reason());
        long ahead = Instant.parse("2030-01-01T00:00:00Z").getEpochSecond();
        execute("UPDATE triplet SET first_seen = " + ahead + ", last_seen = " + ahead);
        clock.advance(MIN_DELAY);

        Verdict early = attempt();
        assertEquals(Reason.EARLY_RETRY, early.reason(), early.toString());
        assertEquals(MIN_DELAY.getSeconds(), early.retryAfterSeconds(), early.toString());
        assertNull(early.rule());

        clock.advance(MIN_DELAY);
        assertEquals(Action.ACCEPT, attempt().action());
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE first_seen >= " + ahead));
    }

    @Test
    void rowsWrittenYearsAheadLiveTheirLifetimesFromThePurgeAfterTheCorrection() throws Exception {
        long ahead = Instant.parse("2030-01-01T00:00:00Z").getEpochSecond();
        execute("INSERT INTO whitelist (client, source, created, last_seen) VALUES ('198.51.100.0/24', 'auto', "
                + ahead + ", " + ahead + ")");
        execute("INSERT INTO client_behaviour (client, behaviour, last_seen) VALUES ('192.0.2.0/24', 'retryinterval', "
                + ahead + ")");
        execute("INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen) VALUES"
                + " ('203.0.113.0/24', 'x@example.net', 'y@example.org', 1, " + ahead + ", " + ahead + ")");
        long expires = Instant.parse("2031-01-01T00:00:00Z").getEpochSecond();
        execute("INSERT INTO blacklist (client, created, expires) VALUES ('233.252.0.0/24', " + ahead + ", " + expires + ")");

        engine.purgeExpired();
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE first_seen > " + T0.getEpochSecond()));
        assertEquals(expires, count("SELECT expires FROM blacklist"), "an administrator's expiry date is meant to be ahead");

        clock.advance(GreylistSettings.DEFAULT_RETRY_WINDOW.plusSeconds(1));
        engine.purgeExpired();
        assertNull(attempt().rule(), "the retryinterval remembered is forgotten a retry window after the correction");
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE client = '203.0.113.0/24'"));

        clock.advance(GreylistSettings.DEFAULT_WHITELIST_LIFETIME);
        // Mail went on meanwhile: a greydb unused for a whole lifetime is what a clock set ahead leaves (PurgeClock).
        long dayBefore = clock.instant().minus(Duration.ofDays(1)).getEpochSecond();
        execute("INSERT INTO whitelist (client, source, created, last_seen) VALUES ('192.0.2.0/24', 'auto', "
                + dayBefore + ", " + dayBefore + ")");
        engine.purgeExpired();
        assertEquals(0, count("SELECT COUNT(*) FROM whitelist WHERE client = '198.51.100.0/24'"),
                "the auto-whitelist entry expires a lifetime later");
        assertEquals(1, count("SELECT COUNT(*) FROM blacklist"));
    }

    private long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
