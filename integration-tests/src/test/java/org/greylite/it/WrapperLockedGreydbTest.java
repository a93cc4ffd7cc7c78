package org.greylite.it;

import static org.greylite.it.SmtpClient.assertGreylisted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.Sqlite3Lock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** bin/greylite under tcpserver while another process (the real sqlite3) keeps the greydb locked. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WrapperLockedGreydbTest {

    private static final int RCPTS = 5;
    private static final long BUSY_TIMEOUT_MILLIS = 2000;

    @TempDir
    Path dir;

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;

    /**
     * Told to stop (SIGTERM, as a service manager sends every session when the service stops) while a RCPT's decision
     * waits for the locked greydb: the client is told 421 4.3.2 at once and the session ends, rather than when the
     * greydb's busy timeout is over.
     */
    @Test
    void aWrapperToldToStopWhileADecisionWaitsForALockedGreydbTellsItsClient421() throws Exception {
        Path db = startWithGreydb("5m");
        try (Sqlite3Lock lock = Sqlite3Lock.hold(db); SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.patience(20_000);
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            c.send("RCPT TO:<c@example.com>\r\n");
            assertTrue(tcpserver.awaitLine(l -> l.startsWith("tcpserver: pid "), Duration.ofSeconds(5)) != null);
            Thread.sleep(1000); // the decision is waiting for the lock
            sessionProcess(tcpserver).destroy();
            String reply = c.reply();
            assertTrue(reply.startsWith("421 4.3.2 ") && reply.endsWith(" service shutting down, closing connection"),
                    reply);
            assertTrue(c.closedByServer());
            assertTrue(lock.held(), "the lock was held all along");
        }
        assertEquals(2, tcpserver.awaitEnds(2, Duration.ofSeconds(20)).size());
    }

    /**
     * A client pipelining (RFC 2920) its RCPTs: each was decided only once the one before it was answered, so five of
     * them took five busy timeouts, and a message to a hundred recipients kept its client minutes. They are asked when
     * they came, and all answered (fail open) within about one busy timeout.
     */
    @Test
    void pipelinedRcptsBehindALockedGreydbAreAnsweredWithinOneBusyTimeout() throws Exception {
        Path db = startWithGreydb(BUSY_TIMEOUT_MILLIS / 1000 + "s");
        try (Sqlite3Lock lock = Sqlite3Lock.hold(db); SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.patience(60_000);
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < RCPTS; i++) {
                batch.append("RCPT TO:<r").append(i).append("@example.com>\r\n");
            }
            long sent = System.nanoTime();
            c.send(batch.toString());
            for (int i = 0; i < RCPTS; i++) {
                assertEquals("250 ok", c.reply(), "RCPT " + i + " fails open: the greydb is locked");
            }
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            // The margin is for a loaded machine; one busy timeout after another would be 10 s.
            assertTrue(took < BUSY_TIMEOUT_MILLIS + 4000, "the " + RCPTS + " RCPTs were answered after " + took + " ms");
            assertTrue(lock.held(), "the lock was held all along");
        }
    }

    /**
     * A greydb kept locked against readers too (sqlite3 in exclusive locking mode, as a careful administrator's
     * session or a backup tool takes it): the wrapper cannot even open it, and the RCPT is answered (fail open) about a
     * busy timeout after it was asked. Each of the opening's five attempts waited a busy timeout: 27 s with the
     * default of 5 s.
     */
    @Test
    void aGreydbLockedAgainstReadersHoldsTheRcptAboutOneBusyTimeout() throws Exception {
        Path db = startWithGreydb(BUSY_TIMEOUT_MILLIS / 1000 + "s");
        try (Sqlite3Lock lock = Sqlite3Lock.holdAgainstReaders(db); SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.patience(60_000);
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            long sent = System.nanoTime();
            assertEquals("250 ok", c.command("RCPT TO:<r@example.com>"), "fails open: the greydb is locked");
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            // The margin is for a loaded machine; five busy timeouts would be 10 s.
            assertTrue(took < 2 * BUSY_TIMEOUT_MILLIS + 3000, "the RCPT was answered after " + took + " ms");
            assertTrue(lock.held(), "the lock was held all along");
        }
        String failure = tcpserver.awaitLine(l -> l.contains("locked"), Duration.ofSeconds(10));
        assertTrue(failure != null, "the log says the greydb is locked: " + tcpserver.log());
    }

    /**
     * A greydb whose recorded lifetimes are another program's (greylited's, started with other ones, say), locked: the
     * session's engine writes its own lifetimes for greylitectl when it starts, and that write waited a whole busy
     * timeout for the lock before the RCPT's decision began to wait one of its own, so the RCPT was answered after two.
     * The write's wait now counts in the RCPT's busy timeout: its decision finds no time left, and the RCPT is
     * answered (fail open) one busy timeout after it was asked.
     */
    @Test
    void writingTheLifetimesAtTheStartCostsTheRcptNoSecondBusyTimeout() throws Exception {
        Path db = startWithGreydb(BUSY_TIMEOUT_MILLIS / 1000 + "s");
        try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + db);
                PreparedStatement st = conn.prepareStatement("UPDATE greydb_meta SET value = '3600' WHERE key = ?")) {
            st.setString(1, "retry_window"); // another program's retry window: 1h, where the wrapper's is 1d
            assertEquals(1, st.executeUpdate());
        }
        try (Sqlite3Lock lock = Sqlite3Lock.hold(db); SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.patience(60_000);
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            assertEquals("250 ok", c.command("RCPT TO:<r@example.com>"), "fails open: the greydb is locked");
            assertTrue(lock.held(), "the lock was held all along");
        }
        String failure = tcpserver.awaitLine(l -> l.contains("greydb failure"), Duration.ofSeconds(10));
        assertTrue(failure != null && failure.contains("no time left within the busy timeout"),
                "the RCPT's decision waited a busy timeout of its own: " + failure);
    }

    /** Starts the wrapper under tcpserver, and a first session that makes the greydb; returns its path. */
    private Path startWithGreydb(String busyTimeout) throws Exception {
        ExternalPrograms.require("tcpserver");
        Path db = dir.resolve("greylite.db");
        tcpserver = tcpservers.start(List.of(Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir)),
                Map.of("GREYLIST", "", "DBFILE", db.toString(), "GREYLITE_BUSY_TIMEOUT", busyTimeout));
        try (SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.patience(20_000);
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            assertGreylisted("b@example.com", c.command("RCPT TO:<b@example.com>"), "the greydb is made");
            assertEquals("221 fake.example bye", c.command("QUIT"));
        }
        tcpserver.awaitEnds(1, Duration.ofSeconds(15));
        return db;
    }

    /** The process tcpserver started for the connection it reported last (bin/greylite execs java in it). */
    private static ProcessHandle sessionProcess(Tcpserver t) {
        List<String> pids = t.log().stream().filter(l -> l.startsWith("tcpserver: pid ")).toList();
        long pid = Long.parseLong(pids.get(pids.size() - 1).split(" ")[2]);
        return ProcessHandle.of(pid).orElseThrow();
    }
}
