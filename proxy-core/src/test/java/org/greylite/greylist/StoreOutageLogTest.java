package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.greylite.testing.MutableClock;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * A greydb outage is logged once when it starts, then as a count now and then, and once when it ends; not
 * once per RCPT. The outage is real: another connection holds the SQLite greydb's write lock.
 */
class StoreOutageLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(Greylister.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final MutableClock clock = new MutableClock(java.time.Instant.parse("2026-01-05T10:00:00Z"));

    @TempDir
    Path dir;

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    private List<String> logged() {
        List<String> out = new ArrayList<>();
        lines.list.forEach(e -> out.add(e.getLevel() + " " + e.getFormattedMessage()));
        lines.list.clear();
        return out;
    }

    @Test
    void anOutageIsOneLineThenACountThenOneLineWhenItEnds() throws Exception {
        Path db = dir.resolve("greylite.db");
        List<Verdict> told = new ArrayList<>();
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofMillis(50));
             Connection other = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock,
                    (r, v) -> told.add(v));
            g.decide(GreylisterTest.rcpt("192.0.2.1", "a@x", "b@y")); // loads the administrators' lists
            Statement lock = other.createStatement();
            lock.execute("BEGIN IMMEDIATE");

            for (int i = 0; i < 20; i++) {
                Verdict v = g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "rcpt" + i + "@y"));
                assertEquals(Reason.STORE_ERROR, v.reason());
            }
            List<String> start = logged();
            assertEquals(1, start.size(), "one line for twenty failures: " + start);
            assertTrue(start.get(0).startsWith("ERROR greydb failure (sqlite:"), start.get(0));
            assertTrue(start.get(0).contains("accepting RCPTs (fail open) until it answers"), start.get(0));
            assertEquals(21, told.size(), "every RCPT still reaches the listener (the metrics count each)");

            clock.advance(StoreOutageLog.SUMMARY_EVERY.minusSeconds(1));
            g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "later@y"));
            assertEquals(List.of(), logged(), "no summary before its time");
            clock.advance(Duration.ofSeconds(1));
            g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "later2@y"));
            List<String> summary = logged();
            assertEquals(1, summary.size(), summary.toString());
            assertTrue(summary.get(0).startsWith("ERROR greydb still failing (sqlite:"), summary.get(0));
            assertTrue(summary.get(0).contains(" for 30s: 22 RCPT(s) decided as failures in the last 30s, 22 in all;"),
                    summary.get(0));

            lock.execute("ROLLBACK");
            clock.advance(Duration.ofSeconds(5));
            assertEquals(Reason.FIRST_ATTEMPT, g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "back@y")).reason());
            List<String> end = logged();
            assertEquals(1, end.size(), end.toString());
            assertTrue(end.get(0).startsWith("WARN greydb answers again (sqlite:"), end.get(0));
            assertTrue(end.get(0).contains(" after 35s: 22 RCPT(s) were decided as failures"), end.get(0));

            g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "more@y"));
            assertEquals(List.of(), logged(), "nothing more while it works");
        }
    }

    /**
     * The clock stepped back an hour during an outage (NTP correcting a host that started ahead): the count was put
     * off until the clock came back to the last one, and the log said nothing of the outage for that hour.
     */
    @Test
    void theCountGoesOnAfterTheClockSteppedBack() throws Exception {
        Path db = dir.resolve("greylite.db");
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofMillis(50));
             Connection other = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, (r, v) -> { });
            g.decide(GreylisterTest.rcpt("192.0.2.1", "a@x", "b@y")); // loads the administrators' lists
            Statement lock = other.createStatement();
            lock.execute("BEGIN IMMEDIATE");
            assertEquals(Reason.STORE_ERROR, g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "c@y")).reason());
            assertEquals(1, logged().size());

            clock.advance(Duration.ofHours(-1));
            g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "d@y"));
            clock.advance(StoreOutageLog.SUMMARY_EVERY);
            g.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "e@y"));
            List<String> summary = logged();
            assertEquals(1, summary.size(), "a count " + StoreOutageLog.SUMMARY_EVERY + " after the step: " + summary);
            assertTrue(summary.get(0).startsWith("ERROR greydb still failing (sqlite:"), summary.get(0));
            assertTrue(summary.get(0).contains("3 in all"), summary.get(0));
            lock.execute("ROLLBACK");
        }
    }

    /**
     * Failing closed, the first line names the refusal the client gets: {@code 451} from the SMTP proxies (the
     * default), and what another program says instead when it tells the engine (greydaemon's {@code 0,2}).
     */
    @Test
    void failingClosedTheLineNamesTheProgramsRefusal() throws Exception {
        Path db = dir.resolve("greylite.db");
        GreylistSettings closed = GreylistSettings.defaults().withFailOpen(false);
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofMillis(50));
             Connection other = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            Greylister smtp = new Greylister(store, SuspicionPolicy.NONE, closed, clock, (r, v) -> { });
            Greylister udp = new Greylister(store, SuspicionPolicy.NONE, closed, clock, (r, v) -> { },
                    KnownSenders.NONE, "0,2");
            smtp.decide(GreylisterTest.rcpt("192.0.2.1", "a@x", "b@y")); // loads the administrators' lists
            udp.decide(GreylisterTest.rcpt("192.0.2.1", "a@x", "c@y"));
            logged();
            Statement lock = other.createStatement();
            lock.execute("BEGIN IMMEDIATE");

            assertEquals(Reason.STORE_ERROR, smtp.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "d@y")).reason());
            assertEquals(Reason.STORE_ERROR, udp.decide(GreylisterTest.rcpt("192.0.2.7", "a@x", "e@y")).reason());
            List<String> start = logged();
            assertEquals(2, start.size(), start.toString());
            assertTrue(start.get(0).contains(", answering 451 (fail closed) until it answers: "), start.get(0));
            assertTrue(start.get(1).contains(", answering 0,2 (fail closed) until it answers: "), start.get(1));
            lock.execute("ROLLBACK");
        }
    }
}
