package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.greylite.testing.MutableClock;
import org.greylite.testing.GreydbDump;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests that arrive together, as from many qmail-smtpd processes at once: they wait in the socket's buffer
 * while the daemon is held on the greydb's lock, and are then decided together (one greydb transaction). Their
 * answers must be those of one request after another, which a second daemon, asked one request at a time,
 * gives. Real UDP, real SQLite files, a real lock held by another connection.
 */
@Timeout(60)
class GreyDaemonBurstTest {

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
    private final List<AutoCloseable> open = new ArrayList<>();

    private RunningGreydaemon start(Path greydb) throws IOException {
        RunningGreydaemon s = GreyDaemon.start(CommandLine.parse(List.of("127.0.0.1:0", greydb.toString())),
                Map.of("GREYLITE_NO_SHIPPED_WHITELIST", ""), clock);
        open.add(s);
        return s;
    }

    private QmailSmtpdClient client(RunningGreydaemon s) throws IOException {
        QmailSmtpdClient c = new QmailSmtpdClient(s.localAddress());
        open.add(0, c);
        return c;
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** Asked before the burst, then 6 minutes go by: the burst's retry of it passes. */
    private static final byte[] EARLIER = QmailSmtpdClient.packet("198.51.100.7", "a@example.net", "r1@example.org");
    /** Asked first, while the greydb is locked: the daemon waits on it as the burst comes. */
    private static final byte[] BLOCKER = QmailSmtpdClient.packet("192.0.2.99", "z@example.net", "z@example.org");

    /** No request at all: no answer comes. */
    private static final byte[] NOT_A_REQUEST = "not a request".getBytes(StandardCharsets.US_ASCII);

    private static List<byte[]> burst() {
        return List.of(
                QmailSmtpdClient.packet("198.51.100.7", "a@example.net", "r1@example.org"), // passes: 1,3
                QmailSmtpdClient.packet("198.51.100.7", "c@example.net", "r9@example.org"), // its address now known: 1,2
                QmailSmtpdClient.packet("192.0.2.1", "n@example.net", "m1@example.org"), // new: 0,1
                QmailSmtpdClient.packet("192.0.2.1", "n@example.net", "m1@example.org"), // the same again: too soon, 0,2
                QmailSmtpdClient.packet("192.0.2.1", "n@example.net", "m2@example.org", "m1@example.org"), // 0,1 then 0,2
                NOT_A_REQUEST, // no answer, and the others are answered
                QmailSmtpdClient.packet("192.0.2.2", "", "list-owner=example.org@example.net"), // VERP bounce: 1,4
                QmailSmtpdClient.packet("192.0.2.1", "n@example.net", "m3@example.org")); // new: 0,1
    }

    private List<String> oneAtATime(Path greydb) throws IOException {
        RunningGreydaemon s = start(greydb);
        QmailSmtpdClient c = client(s);
        clock.set(Instant.parse("2026-12-01T10:00:00Z"));
        assertEquals("0,1", c.send(EARLIER), "a first attempt");
        clock.advance(Duration.ofMinutes(6));
        List<String> answers = new ArrayList<>();
        answers.add(c.send(BLOCKER));
        for (byte[] p : burst()) {
            // The wait is short only where no answer is coming; an answer that must come is waited for as long as
            // a loaded machine needs, since one taken for the next request's would shift every later answer.
            c.timeout(p == NOT_A_REQUEST ? 1_000 : 10_000);
            answers.add(c.send(p));
        }
        return answers;
    }

    private List<String> together(Path greydb) throws Exception {
        RunningGreydaemon s = start(greydb);
        QmailSmtpdClient first = client(s);
        clock.set(Instant.parse("2026-12-01T10:00:00Z"));
        assertEquals("0,1", first.send(EARLIER), "a first attempt");
        clock.advance(Duration.ofMinutes(6));
        List<QmailSmtpdClient> clients = new ArrayList<>();
        for (int i = 0; i <= burst().size(); i++) {
            clients.add(client(s));
        }
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + greydb); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE"); // the greydb is busy: the blocker's decision waits for it
            clients.get(0).sendOnly(BLOCKER);
            Thread.sleep(300); // the daemon has taken the blocker and waits on the lock
            for (int i = 0; i < burst().size(); i++) {
                clients.get(i + 1).sendOnly(burst().get(i));
            }
            Thread.sleep(300); // all in the daemon's buffer
            st.execute("ROLLBACK");
        }
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            // The request that is none: no answer is coming.
            clients.get(i).timeout(i > 0 && burst().get(i - 1) == NOT_A_REQUEST ? 1_000 : 10_000);
            answers.add(clients.get(i).answer());
        }
        return answers;
    }

    private static String rows(Path greydb) throws SQLException {
        return GreydbDump.of(greydb);
    }

    @Test
    void aBurstGetsTheAnswersOfOneRequestAfterAnother() throws Exception {
        Path single = dir.resolve("one-at-a-time.db");
        List<String> expected = oneAtATime(single);
        assertEquals(Arrays.asList("0,1", "1,3", "1,2", "0,1", "0,2", "0,2", null, "1,4", "0,1"), expected);
        Path batched = dir.resolve("together.db");
        assertEquals(expected, together(batched));
        assertEquals(rows(single), rows(batched));
    }

    @Test
    void aBurstTheGreydbCannotTakeIsAnsweredAsAGreydbFailureAndNothingOfItIsRecorded() throws Exception {
        Path greydb = dir.resolve("greydb");
        RunningGreydaemon s = start(greydb);
        List<QmailSmtpdClient> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(client(s));
        }
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + greydb); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE"); // held past the busy timeout (5 s): the decisions fail
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).sendOnly(QmailSmtpdClient.packet("192.0.2.1", "n@example.net", "m" + i + "@example.org"));
            }
            List<String> answers = new ArrayList<>();
            for (QmailSmtpdClient c : clients) {
                answers.add(c.answer());
            }
            // Fail open (the default): every request is let in, as a decision alone would be.
            assertEquals(List.of("1,3", "1,3", "1,3", "1,3"), answers);
            st.execute("ROLLBACK");
        }
        assertEquals("", rows(greydb));
        assertEquals("0,1", clients.get(0).ask("192.0.2.1", "n@example.net", "m0@example.org"), "nothing was recorded");
        assertTrue(rows(greydb).contains("m0@example.org"));
    }
}
