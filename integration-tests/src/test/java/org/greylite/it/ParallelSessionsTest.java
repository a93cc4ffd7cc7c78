package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under tcpserver every connection is a process of its own: 30 of them at once share one greydb file,
 * new at the start. No decision may fail (no "database is locked", no store error, nothing failing open).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ParallelSessionsTest {

    private static final int SESSIONS = 30;

    @TempDir
    Path dir;

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;

    @Test
    void thirtySessionsAtOnceShareOneNewGreydb() throws Exception {
        Path db = dir.resolve("shared.db");
        // -c: as many processes at once; -b: a listen backlog that holds the whole burst (tcpserver's
        // default of 20 makes the kernel drop the surplus SYNs, which clients resend only seconds later).
        // The busy timeout is long: on a loaded machine 30 JVMs starting at once on two cores can keep each other
        // waiting past the default 5 s, counted from each connection's start. What this test proves is that no
        // decision fails on the shared new file (a lock SQLite does not wait for, a schema race), not a speed.
        tcpserver = tcpservers.start(List.of(Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir)),
                Map.of("GREYLIST", "", "DBFILE", db.toString(), "GREYLITE_MIN_DELAY", "0", "LOGTHRESHOLD", "4",
                        "GREYLITE_BUSY_TIMEOUT", "60s"),
                "-c", "60", "-b", "100");

        assertEquals(Map.of("greylisted", SESSIONS), burst(),
                () -> "every first attempt greylisted; the chain said:\n" + String.join("\n", tcpserver.log()));
        assertEquals(Map.of("250 ok", SESSIONS), burst(), "every retry accepted");

        List<String> problems = tcpserver.chainLog();
        assertEquals(List.of(), problems, "greylite logged warnings or errors (LOGTHRESHOLD=4)");
        try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            ResultSet rs = conn.createStatement().executeQuery("SELECT count(*), sum(refusals) FROM triplet");
            rs.next();
            assertEquals(List.of(SESSIONS, SESSIONS), List.of(rs.getInt(1), rs.getInt(2)), "every first attempt recorded");
            // The first retry to pass put the client's network on the auto-whitelist; the others passed on it.
            rs = conn.createStatement().executeQuery("SELECT client FROM whitelist");
            rs.next();
            assertEquals("127.0.0.0/24", rs.getString(1));
        }
    }

    /** SESSIONS clients at once, a sender of its own for each; returns how many got each RCPT reply. */
    private Map<String, Integer> burst() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(SESSIONS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                // Distinct domains: local parts that differ only by a whole-number field (sender-1@,
                // sender-2@) are one sender once VERP numbers are normalised away.
                String sender = "sender@client" + i + ".example.org";
                replies.add(pool.submit(() -> {
                    go.await();
                    try (SmtpClient c = SmtpClient.connect(tcpserver.port()).patience(80_000)) {
                        c.reply();
                        c.command("HELO client.example");
                        c.command("MAIL FROM:<" + sender + ">");
                        String reply = c.command("RCPT TO:<rcpt@example.com>");
                        c.command("QUIT");
                        return reply;
                    }
                }));
            }
            go.countDown();
            Map<String, Integer> counts = new TreeMap<>();
            for (Future<String> f : replies) {
                String reply = f.get(90, TimeUnit.SECONDS);
                counts.merge(reply.startsWith("451 4.7.1 <rcpt@example.com>: greylisted") ? "greylisted" : reply,
                        1, Integer::sum);
            }
            return counts;
        } finally {
            pool.shutdownNow();
        }
    }
}
