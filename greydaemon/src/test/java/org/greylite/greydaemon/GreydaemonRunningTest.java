package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.MutableClock;
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
 * What runs beside greydaemon's UDP service, as in greylited and greylite-policy: the metrics endpoint
 * ({@code GREYLITE_METRICS}), read over HTTP after real datagrams, and the look at the greydb file, which
 * notices the file deleted under the daemon.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GreydaemonRunningTest {

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    private RunningGreydaemon daemon;
    private QmailSmtpdClient client;

    private void start() throws Exception {
        start(Map.of());
    }

    /** greydaemon on a free port, metrics on another, with {@code more} in its environment. */
    private void start(Map<String, String> more) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(more);
        env.put("GREYLITE_NO_SHIPPED_WHITELIST", "");
        env.put("GREYLITE_METRICS", "127.0.0.1:0");
        daemon = GreyDaemon.start(CommandLine.parse(List.of("127.0.0.1:0", dir.resolve("greydb").toString())), env, clock);
        client = new QmailSmtpdClient(daemon.localAddress());
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    private String metrics() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + daemon.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void metricsCountAnswersByCodeAndMalformedDatagrams() throws Exception {
        start();
        assertEquals("0,1", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        clock.advance(Duration.ofMinutes(1));
        assertEquals("0,2", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
        assertEquals("0,1", client.ask("198.51.100.8", "alice@example.net", "bob@example.org"));
        client.timeout(1_000);
        assertNull(client.send("Fno-ip-first\0Tx@example.org\0".getBytes(StandardCharsets.ISO_8859_1)));
        String m = metrics();
        assertTrue(m.contains("greylite_greydaemon_answers_total{answer=\"new\",code=\"0,1\"} 2.0"), m);
        assertTrue(m.contains("greylite_greydaemon_answers_total{answer=\"too-soon\",code=\"0,2\"} 1.0"), m);
        assertTrue(m.contains("greylite_greydaemon_answers_total{answer=\"passed\",code=\"1,3\"} 0.0"), m);
        assertTrue(m.contains("greylite_greydaemon_malformed_requests_total 1.0"), m);
        assertTrue(m.contains("greylite_store_errors_total{operation=\"decision\"} 0.0"), m);
        assertTrue(m.contains("greylite_greydb_file_replaced_total 0.0"), m);
    }

    @Test
    void aDeletedGreydbIsNoticedCountedAndRecreatedAtItsPath() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(GreyDaemon.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            start();
            Path db = dir.resolve("greydb");
            assertEquals("0,1", client.ask("198.51.100.7", "alice@example.net", "before@example.org"));
            Files.delete(db);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (errors(log).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            String line = String.join("\n", errors(log));
            assertTrue(line.contains("was deleted while in use") && line.contains(db.toString()), line);
            assertTrue(Files.exists(db), "a new greydb at the path");
            assertEquals("0,1", client.ask("198.51.100.7", "alice@example.net", "after@example.org"));
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT recipient FROM triplet")) {
                List<String> recipients = new ArrayList<>();
                while (rs.next()) {
                    recipients.add(rs.getString(1));
                }
                assertEquals(List.of("after@example.org"), recipients, "the decision after the check is in the new file");
            }
            assertTrue(metrics().contains("greylite_greydb_file_replaced_total 1.0"), metrics());
        } finally {
            logger.detachAppender(log);
        }
    }

    /**
     * A real greydb failure: the real sqlite3 holds the greydb's write lock longer than the busy timeout (1s), so
     * the decision fails with SQLITE_BUSY. It is counted, and answered as greydaemon's fail-open answer: {@code 1,3},
     * let in (the patched qmail-smtpd accepts). Once the lock is gone, decisions are written again.
     */
    @Test
    void aLockedGreydbIsCountedAndFailsOpen() throws Exception {
        start(Map.of("GREYLITE_BUSY_TIMEOUT", "1s"));
        try (Sqlite3Lock lock = Sqlite3Lock.hold(dir.resolve("greydb"))) {
            assertEquals("1,3", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
            assertTrue(lock.held(), "the lock was held all along");
        }
        String m = metrics();
        assertTrue(m.contains("greylite_store_errors_total{operation=\"decision\"} 1.0"), m);
        assertTrue(m.contains("greylite_greydaemon_answers_total{answer=\"passed\",code=\"1,3\"} 1.0"), m);
        assertEquals("0,1", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"),
                "the failed decision wrote nothing; the greydb is written again");
    }

    /**
     * {@code greylite_store_errors_total{operation="decision"}} counts the recipients the failure decided, as
     * greylited's and greylite-policy's of the same name count theirs (one per RCPT, every one in the decision
     * log): a request for three recipients is three, not one for the batch it was in.
     */
    @Test
    void aLockedGreydbCountsEachRecipientItDecided() throws Exception {
        start(Map.of("GREYLITE_BUSY_TIMEOUT", "1s"));
        try (Sqlite3Lock lock = Sqlite3Lock.hold(dir.resolve("greydb"))) {
            assertEquals("1,3", client.ask("198.51.100.7", "alice@example.net", "bob@example.org",
                    "carol@example.org", "dave@example.org"));
            assertTrue(lock.held(), "the lock was held all along");
        }
        String m = metrics();
        assertTrue(m.contains("greylite_store_errors_total{operation=\"decision\"} 3.0"), m);
    }

    /**
     * A request that comes while a batch waits for another process's lock waited in the socket meanwhile: its
     * busy timeout counts from then, not from when the batch's failure let the daemon read it, so it is answered
     * within a busy timeout of its coming (here 5 s), not after a second one. The patched qmail-smtpd waits 3 s
     * for an answer; past that its answer (0,2 failing closed) comes to nobody. (The busy timeout is longer than
     * the default here so that the bound tells one busy timeout from two with seconds to spare on a loaded machine.)
     */
    @Test
    void aRequestQueuedBehindALockIsAnsweredWithinTheBusyTimeoutOfItsComing() throws Exception {
        start(Map.of("GREYLITE_BUSY_TIMEOUT", "5s"));
        try (Sqlite3Lock lock = Sqlite3Lock.hold(dir.resolve("greydb"));
             QmailSmtpdClient second = new QmailSmtpdClient(daemon.localAddress())) {
            client.sendOnly(QmailSmtpdClient.packet("198.51.100.7", "alice@example.net", "bob@example.org"));
            Thread.sleep(300); // the first batch is waiting for the lock
            long sent = System.nanoTime();
            second.sendOnly(QmailSmtpdClient.packet("198.51.100.8", "carol@example.net", "bob@example.org"));
            assertEquals("1,3", second.answer());
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertTrue(tookMillis < 7_500, "answered " + tookMillis + " ms after it was sent");
            assertEquals("1,3", client.answer());
            assertTrue(lock.held(), "the lock was held all along");
        }
    }

    /**
     * Without GREYLITE_BUSY_TIMEOUT, greydaemon waits for a lock at most 2 s, not greylited's 5 s: the patched
     * qmail-smtpd waits 3 s for an answer (indimail's GREYTIMEOUT), so a fail-closed {@code 0,2} given after a
     * longer wait came to nobody, and the client did as it does on a timeout instead.
     */
    @Test
    void aLockedGreydbIsAnsweredWithinTheQmailSmtpdWaitByDefault() throws Exception {
        start(Map.of("GREYLITE_FAIL_CLOSED", "1"));
        client.timeout(3_000);
        try (Sqlite3Lock lock = Sqlite3Lock.hold(dir.resolve("greydb"))) {
            long sent = System.nanoTime();
            assertEquals("0,2", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"),
                    "answered within the 3 s qmail-smtpd waits");
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertTrue(tookMillis >= 1_500, "the lock was waited for: " + tookMillis + " ms");
            assertTrue(lock.held(), "the lock was held all along");
        }
    }

    /**
     * With GREYLITE_FAIL_CLOSED the same failure is answered {@code 0,2}: qmail-smtpd says to come back later. The
     * log names that answer, not the 451 of the SMTP proxies.
     */
    @Test
    void aLockedGreydbFailsClosedWhenAsked() throws Exception {
        Logger engine = (Logger) LoggerFactory.getLogger(org.greylite.greylist.Greylister.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        engine.addAppender(log);
        try {
            start(Map.of("GREYLITE_BUSY_TIMEOUT", "1s", "GREYLITE_FAIL_CLOSED", "1"));
            try (Sqlite3Lock lock = Sqlite3Lock.hold(dir.resolve("greydb"))) {
                assertEquals("0,2", client.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
                assertTrue(lock.held(), "the lock was held all along");
            }
        } finally {
            engine.detachAppender(log);
        }
        assertTrue(metrics().contains("greylite_store_errors_total{operation=\"decision\"} 1.0"), metrics());
        List<String> errors = errors(log);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).startsWith("greydb failure (sqlite:"), errors.get(0));
        assertTrue(errors.get(0).contains(", answering 0,2 (fail closed) until it answers: "), errors.get(0));
    }

    private static List<String> errors(ListAppender<ILoggingEvent> log) {
        return new ArrayList<>(log.list).stream().filter(e -> e.getLevel() == Level.ERROR)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }
}
