package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.greylist.Greylister;
import org.greylite.testing.SmallFileSystem;
import org.greylite.testing.Sqlite3Lock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * A real greydb failure: the real sqlite3 holds the greydb's write lock longer than the busy timeout, so a
 * decision fails with SQLITE_BUSY. The failure is counted on the metrics endpoint and answered as configured:
 * {@code DUNNO} (fail open: the restrictions after the policy service decide), or with {@code --fail-closed}
 * {@code DEFER_IF_PERMIT 4.3.0}. The service keeps serving, and decides again once the lock is gone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyGreydbErrorTest {

    @TempDir
    Path dir;

    private RunningPolicy policy;

    @AfterEach
    void stop() {
        if (policy != null) {
            policy.close();
        }
    }

    private PolicyClient start(String... flags) throws Exception {
        String[] all = new String[flags.length + 2];
        all[0] = "--busy-timeout=1s";
        all[1] = "--metrics=127.0.0.1:0";
        System.arraycopy(flags, 0, all, 2, flags.length);
        policy = TestPolicy.start(dir, all);
        return PolicyClient.tcp(policy.tcpAddress());
    }

    private String metrics() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + policy.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void aLockedGreydbIsCountedAndAnsweredDunno() throws Exception {
        try (PolicyClient c = start()) {
            try (Sqlite3Lock lock = Sqlite3Lock.hold(dir.resolve("greylite.db"))) {
                assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
                assertTrue(lock.held(), "the lock was held all along");
            }
            String m = metrics();
            assertTrue(m.contains("greylite_store_errors_total{operation=\"decision\"} 1.0"), m);
            assertTrue(m.contains("greylite_rcpt_total{reason=\"store-error\",verdict=\"accept\"} 1.0"), m);
            assertEquals(PolicyProtocolTest.GREYLISTED_301,
                    c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")),
                    "on the same connection, the greydb written again once the lock is gone");
        }
    }

    /**
     * A request that comes while another connection's decision waits for the lock waited in its socket meanwhile:
     * it is answered within a busy timeout of its coming (here 5 s, so that the bound tells one busy timeout from
     * two with seconds to spare on a loaded machine), not after a second busy timeout counted from when the I/O
     * thread, free again, read it.
     */
    @Test
    void aRequestThatCameDuringAWaitForTheLockIsAnsweredWithinTheBusyTimeoutOfItsComing() throws Exception {
        policy = TestPolicy.start(dir, "--busy-timeout=5s");
        try (PolicyClient first = PolicyClient.tcp(policy.tcpAddress());
             PolicyClient second = PolicyClient.tcp(policy.tcpAddress())) {
            assertEquals(PolicyProtocolTest.GREYLISTED_301,
                    first.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")), "both connected");
            try (Sqlite3Lock lock = Sqlite3Lock.hold(dir.resolve("greylite.db"))) {
                first.send(PolicyClient.request(PolicyClient.rcpt("192.0.2.8", "c@example.net", "b@example.org")));
                Thread.sleep(300); // the first decision is waiting for the lock
                long sent = System.nanoTime();
                assertEquals("DUNNO", second.ask(PolicyClient.rcpt("192.0.2.9", "d@example.net", "b@example.org")));
                long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
                assertTrue(tookMillis < 7_500, "answered " + tookMillis + " ms after it was sent");
                assertEquals("DUNNO", first.readAnswer());
                assertTrue(lock.held(), "the lock was held all along");
            }
        }
    }

    /**
     * The disk under the greydb full: every turn's commit fails (SQLITE_FULL) and its requests are answered as greydb
     * failures (DUNNO). The outage is logged as in the other programs, once when it starts and once when it ends, and
     * the turns' failed commits once a minute at most. Each decision of a turn told the engine that the greydb had
     * answered before the commit failed, so every request logged the outage as over ("answers again") and begun again:
     * three lines a request, on the disk that is full.
     */
    @Test
    void aFullDiskIsLoggedOnceNotAtEveryRequest() throws Exception {
        ListAppender<ILoggingEvent> engineLog = TestPolicy.capture(Greylister.class);
        ListAppender<ILoggingEvent> turnLog = TestPolicy.capture(DecisionTurn.class);
        try (SmallFileSystem small = SmallFileSystem.mount(dir.resolve("small"), "300k")) {
            policy = TestPolicy.start(dir, "--db=" + small.path().resolve("greylite.db"));
            try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
                assertEquals(PolicyProtocolTest.GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
                small.fill();
                for (int i = 0; i < 20; i++) {
                    assertEquals("DUNNO", c.ask(PolicyClient.rcpt("198.51.100." + (i + 1), "s" + i + "@example.net",
                            "r" + i + "@example.org")), "fail open while the disk is full");
                }
                String whileFull = TestPolicy.lines(engineLog) + TestPolicy.lines(turnLog);
                assertFalse(whileFull.contains("answers again"), whileFull);
                assertEquals(1, count(engineLog, "greydb failure"), whileFull);
                assertEquals(1, count(turnLog, "could not be committed"), whileFull);

                small.makeRoom();
                assertEquals(PolicyProtocolTest.GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.8", "c@example.net", "b@example.org")),
                        "greylisted again once there is room");
                assertEquals(1, count(engineLog, "answers again"), TestPolicy.lines(engineLog));
                assertTrue(TestPolicy.lines(engineLog).contains("20 RCPT(s) were decided as failures"), TestPolicy.lines(engineLog));
            } finally {
                policy.close();
                policy = null;
            }
        } finally {
            ((Logger) LoggerFactory.getLogger(Greylister.class)).detachAppender(engineLog);
            ((Logger) LoggerFactory.getLogger(DecisionTurn.class)).detachAppender(turnLog);
        }
    }

    /**
     * A turn whose commit fails (the disk full) is decided again one request at a time. The first decisions, made in
     * the transaction that then failed, recorded nothing and were never answered; they were told all the same, so
     * each request counted twice in greylite_rcpt_total, once as the greylisting no greydb holds, and the decision
     * log said "verdict=greylist" for a client that got DUNNO. Now a decision is told once its transaction has
     * committed: each request counts once, by the answer it got.
     */
    @Test
    void aTurnWhoseCommitFailsCountsAndLogsEachRequestOnceByItsAnswer() throws Exception {
        ListAppender<ILoggingEvent> decisionLog = new ListAppender<>();
        decisionLog.start();
        Logger decisions = (Logger) LoggerFactory.getLogger("greylite.decision");
        Level level = decisions.getLevel();
        decisions.setLevel(Level.INFO);
        decisions.addAppender(decisionLog);
        try (SmallFileSystem small = SmallFileSystem.mount(dir.resolve("small"), "300k")) {
            policy = TestPolicy.start(dir, "--db=" + small.path().resolve("greylite.db"), "--metrics=127.0.0.1:0");
            try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
                assertEquals(PolicyProtocolTest.GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
                small.fill();
                for (int i = 0; i < 5; i++) {
                    assertEquals("DUNNO", c.ask(PolicyClient.rcpt("198.51.100." + (i + 1), "s" + i + "@example.net",
                            "r" + i + "@example.org")), "fail open while the disk is full");
                }
                String m = metrics();
                assertTrue(m.contains("greylite_rcpt_total{reason=\"first-attempt\",verdict=\"greylist\"} 1.0"), m);
                assertTrue(m.contains("greylite_rcpt_total{reason=\"store-error\",verdict=\"accept\"} 5.0"), m);
                assertTrue(m.contains("greylite_store_errors_total{operation=\"decision\"} 5.0"), m);
            } finally {
                policy.close();
                policy = null;
            }
        } finally {
            decisions.detachAppender(decisionLog);
            decisions.setLevel(level);
        }
        List<String> lines = new ArrayList<>(decisionLog.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(6, lines.size(), String.join("\n", lines));
        for (int i = 1; i < lines.size(); i++) {
            assertTrue(lines.get(i).startsWith("decision verdict=accept reason=store-error client=198.51.100." + i + " "),
                    lines.get(i));
        }
    }

    private static long count(ListAppender<ILoggingEvent> log, String text) {
        return new ArrayList<>(log.list).stream().filter(e -> e.getFormattedMessage().contains(text)).count();
    }

    /** The log names the answer Postfix gets, not the 451 of the SMTP proxies. */
    @Test
    void withFailClosedALockedGreydbDefers() throws Exception {
        Logger engine = (Logger) LoggerFactory.getLogger(Greylister.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        engine.addAppender(log);
        try (PolicyClient c = start("--fail-closed")) {
            try (Sqlite3Lock lock = Sqlite3Lock.hold(dir.resolve("greylite.db"))) {
                assertEquals("DEFER_IF_PERMIT 4.3.0 Greylisting temporarily unavailable, please retry later",
                        c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
                assertTrue(lock.held(), "the lock was held all along");
            }
            String m = metrics();
            assertTrue(m.contains("greylite_store_errors_total{operation=\"decision\"} 1.0"), m);
            assertTrue(m.contains("greylite_rcpt_total{reason=\"store-error\",verdict=\"tempfail\"} 1.0"), m);
        } finally {
            engine.detachAppender(log);
        }
        List<String> errors = new ArrayList<>(log.list).stream().filter(e -> e.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains(", answering action=DEFER_IF_PERMIT (fail closed) until it answers: "),
                errors.get(0));
    }
}
