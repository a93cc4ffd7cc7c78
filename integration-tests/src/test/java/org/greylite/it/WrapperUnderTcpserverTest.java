package org.greylite.it;

import static org.greylite.it.SmtpClient.assertGreylisted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/greylite where it runs in production: started by the real tcpserver for every connection, with
 * the client's TCP connection on its descriptors 0 and 1, in front of a UCSPI SMTP server (a shell
 * script standing in for qmail-smtpd, see fake-smtpd.sh), sharing one greydb file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WrapperUnderTcpserverTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;
    private String smtpd;
    private Path transcript;
    private Path db;

    @BeforeEach
    void setUp() throws IOException {
        ExternalPrograms.require("tcpserver");
        smtpd = Launchers.fakeSmtpd(dir);
        transcript = dir.resolve("smtpd.log");
        db = dir.resolve("greylite.db");
    }

    private Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("DBFILE", db.toString());
        env.put("FAKESMTPD_LOG", transcript.toString());
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private Tcpserver start(Map<String, String> env, String... program) throws Exception {
        List<String> chain = new ArrayList<>(List.of(Launchers.bin("greylite")));
        chain.addAll(program.length == 0 ? List.of("sh", smtpd) : List.of(program));
        tcpserver = tcpservers.start(chain, env);
        return tcpserver;
    }

    private List<String> transcript() throws IOException {
        return Files.exists(transcript) ? Files.readAllLines(transcript) : List.of();
    }

    /** The commands the upstream received, in order, without the process ids. */
    private List<String> upstreamSaw() throws IOException {
        return transcript().stream().filter(l -> l.contains(" cmd ") || l.contains(" message "))
                .map(l -> l.substring(l.indexOf(' ') + 1)).toList();
    }

    private static void envelope(SmtpClient c, String from) throws IOException {
        assertTrue(c.reply().startsWith("220 "));
        assertTrue(c.command("EHLO client.example").startsWith("250 "));
        assertEquals("250 ok", c.command("MAIL FROM:<" + from + ">"));
    }

    @Test
    void greylistedFirstThenAcceptedOnceTheMinimumDelayHasPassed() throws Exception {
        Tcpserver t = start(env("GREYLIST", "", "GREYLITE_MIN_DELAY", "2s"));
        long first;
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            envelope(c, "sender@example.org");
            assertGreylisted("rcpt@example.com", c.command("RCPT TO:<rcpt@example.com>"));
            // Timed from the refusal's reply, which comes after it was recorded: on a loaded machine the
            // wrapper's start can take longer than the 100 ms margin below.
            first = System.nanoTime();
            assertGreylisted("rcpt@example.com", c.command("RCPT TO:<rcpt@example.com>"),
                    "a retry within the minimum delay is refused again");
            assertEquals("221 fake.example bye", c.command("QUIT"));
        }
        // 2 s after the refusal, recorded rounded up to its whole second: up to 3 s.
        Thread.sleep(Math.max(0, 3100 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - first)));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            envelope(c, "sender@example.org");
            assertEquals("250 ok", c.command("RCPT TO:<rcpt@example.com>"));
            assertEquals("354 go ahead", c.command("DATA"));
            assertEquals("250 ok queued", c.command("Subject: hello\r\n\r\nbody\r\n."));
            assertEquals("221 fake.example bye", c.command("QUIT"));
            assertTrue(c.closedByServer());
        }
        assertEquals(List.of("cmd EHLO client.example", "cmd MAIL FROM:<sender@example.org>", "cmd QUIT",
                        "cmd EHLO client.example", "cmd MAIL FROM:<sender@example.org>", "cmd RCPT TO:<rcpt@example.com>",
                        "cmd DATA", "message 3 lines", "cmd QUIT"),
                upstreamSaw(), "a greylisted RCPT never reaches the upstream");
        assertEquals(List.of(0, 0), t.awaitEnds(2, Duration.ofSeconds(15)), "greylite exits with PROGRAM's status");
        try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + db);
             ResultSet rs = conn.createStatement().executeQuery("SELECT refusals, passed_at IS NOT NULL FROM triplet")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1), "the early retry was not counted");
            assertTrue(rs.getBoolean(2));
        }
    }

    @Test
    void aBdatToAnUpstreamWithoutChunkingCannotSmuggleARecipientPastGreylisting() throws Exception {
        Tcpserver t = start(env("GREYLIST", ""));
        String chunk = "RCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n.\r\n";
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            envelope(c, "sender@example.org");
            assertGreylisted("rcpt@example.com", c.command("RCPT TO:<rcpt@example.com>"));
            // One write, as an attacker sends it: the upstream (like qmail-smtpd) offers no CHUNKING.
            c.send("BDAT " + chunk.length() + " LAST\r\n" + chunk);
            assertTrue(c.reply().startsWith("502 5.5.1 "));
            assertEquals("221 fake.example bye", c.command("QUIT"));
        }
        t.awaitEnds(1, Duration.ofSeconds(15));
        assertEquals(List.of("cmd EHLO client.example", "cmd MAIL FROM:<sender@example.org>", "cmd QUIT"), upstreamSaw(),
                "neither the BDAT nor its chunk reached the upstream");
    }

    @Test
    void aClientThatHalfClosesAfterItsWholeDialogueGetsEveryReplyAndTheMessageIsDelivered() throws Exception {
        Tcpserver t = start(env("GREYLIST", "", "RELAYCLIENT", ""));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            assertTrue(c.reply().startsWith("220 "));
            // All of it at once, as a script sends it, then the end of its input: it still reads the replies.
            c.send("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
                    + "Subject: half-closed\r\n\r\nbody\r\n.\r\nQUIT\r\n");
            c.endInput();
            assertEquals("250 8BITMIME", c.reply());
            assertEquals("250 ok", c.reply());
            assertEquals("250 ok", c.reply());
            assertEquals("354 go ahead", c.reply());
            assertEquals("250 ok queued", c.reply());
            assertEquals("221 fake.example bye", c.reply());
            assertTrue(c.closedByServer());
        }
        assertEquals(List.of(0), t.awaitEnds(1, Duration.ofSeconds(15)), "greylite exits, with PROGRAM's status");
        assertEquals(List.of("cmd EHLO client.example", "cmd MAIL FROM:<a@example.org>", "cmd RCPT TO:<b@example.com>",
                "cmd DATA", "message 3 lines", "cmd QUIT"), upstreamSaw());
    }

    @Test
    void withoutGreylistTheProgramGetsTheConnectionItself() throws Exception {
        Tcpserver t = start(env("FAKESMTPD_EXIT", "7"));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            // The upstream names what its descriptor 1 is: the client's socket, not a pipe from greylite.
            assertEquals("220 fake.example ESMTP socket", c.reply());
            assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            assertEquals("250 ok", c.command("RCPT TO:<b@example.com>"), "nothing is greylisted");
            assertEquals("221 fake.example bye", c.command("QUIT"));
            assertTrue(c.closedByServer());
        }
        assertEquals(List.of(7 << 8), t.awaitEnds(1, Duration.ofSeconds(15)), "greylite exits with PROGRAM's status");
        assertFalse(Files.exists(db), "the greydb is not even opened");
        assertEquals(List.of(), t.chainLog());
    }

    @Test
    void greylitingTalksToTheProgramThroughPipes() throws Exception {
        Tcpserver t = start(env("GREYLIST", ""));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            assertEquals("220 fake.example ESMTP pipe", c.reply());
        }
    }

    @Test
    void relayClientsAreNotGreylistedAndTheGreydbIsNotOpened() throws Exception {
        Tcpserver t = start(env("GREYLIST", "", "RELAYCLIENT", ""));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            envelope(c, "a@example.org");
            assertEquals("250 ok", c.command("RCPT TO:<b@example.com>"));
            assertEquals("221 fake.example bye", c.command("QUIT"));
        }
        t.awaitEnds(1, Duration.ofSeconds(15));
        assertFalse(Files.exists(db));
    }

    @Test
    void tcprulesVariablesFeedTheSuspicionRules() throws Exception {
        Path tcprules = ExternalPrograms.require("tcprules");
        // 127.0.0.2 is WHITELISTED; 127.0.0.1 gets SUSPECT=3, which "1 v SUSPECT" turns into N = 3.
        Path cdb = dir.resolve("tcp.smtp.cdb");
        Process p = new ProcessBuilder(tcprules.toString(), cdb.toString(), dir.resolve("tcp.smtp.tmp").toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().write(("127.0.0.2:allow,WHITELISTED=\"\"\n"
                + "127.0.0.1:allow,SUSPECT=\"3\"\n"
                + ":allow\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
        Path suspicion = dir.resolve("suspicion");
        Files.writeString(suspicion, "# tcprules sets SUSPECT for clients it distrusts\n1 v SUSPECT\n");

        List<String> chain = List.of(Launchers.bin("greylite"), "sh", smtpd);
        tcpserver = tcpservers.start(chain, env("GREYLIST", "", "GREYLITE_MIN_DELAY", "0", "SUSPICION",
                suspicion.toString()), "-x", cdb.toString());
        try (SmtpClient c = SmtpClient.connect("127.0.0.1", tcpserver.port())) {
            envelope(c, "a@example.org");
            for (int attempt = 1; attempt <= 3; attempt++) {
                assertTrue(c.command("RCPT TO:<b@example.com>").startsWith("451 4.7.1 "), "attempt " + attempt);
                // Each attempt a transaction of its own: a recipient named again in one keeps its first verdict.
                assertEquals("250 ok", c.command("RSET"));
                assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            }
            assertEquals("250 ok", c.command("RCPT TO:<b@example.com>"), "the fourth attempt, after three refusals");
        }
        try (SmtpClient c = SmtpClient.connect("127.0.0.2", tcpserver.port())) {
            envelope(c, "a@example.org");
            assertEquals("250 ok", c.command("RCPT TO:<b@example.com>"), "WHITELISTED by tcprules");
        }
    }

    @Test
    void aProgramThatEndsAtOnceGivesTheClient421() throws Exception {
        Tcpserver t = start(env("GREYLIST", ""), "sh", "-c", "exit 3");
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            String reply = c.reply();
            assertTrue(reply.startsWith("421 4.3.0 "), reply);
            assertTrue(c.closedByServer());
        }
        assertEquals(List.of(3 << 8), t.awaitEnds(1, Duration.ofSeconds(15)));
        // And a log line at the default LOGTHRESHOLD (3, errors only), as SPEC §2 wants with the 421: it was a
        // warning, which that threshold hid.
        String line = t.awaitLine(l -> l.contains("upstream closed the connection unexpectedly"), Duration.ofSeconds(5));
        assertTrue(line != null && line.contains("ERROR"), String.valueOf(line));
    }

    @Test
    void aProgramThatCannotStartGivesTheClient421AndStatus111() throws Exception {
        Tcpserver t = start(env("GREYLIST", ""), dir.resolve("no-such-program").toString());
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            String reply = c.reply();
            assertTrue(reply.startsWith("421 4.3.0 "), reply);
            assertTrue(c.closedByServer());
        }
        assertEquals(List.of(111 << 8), t.awaitEnds(1, Duration.ofSeconds(15)));
        String line = t.awaitLine(l -> l.contains("cannot run"), Duration.ofSeconds(5));
        assertTrue(line != null && line.contains("ERROR") && line.contains("no-such-program"), String.valueOf(line));
    }

    @Test
    void aClientVanishingInTheMiddleOfAMessageGetsNothingDelivered() throws Exception {
        Tcpserver t = start(env("GREYLIST", "", "RELAYCLIENT", ""));
        SmtpClient c = SmtpClient.connect(t.port());
        envelope(c, "a@example.org");
        assertEquals("250 ok", c.command("RCPT TO:<b@example.com>"));
        assertEquals("354 go ahead", c.command("DATA"));
        c.send("Subject: half a message\r\n\r\nthe first line\r\n");
        c.abort();
        // PROGRAM is terminated before it could see the end of the message: SIGTERM, 128 + 15.
        assertEquals(List.of(143 << 8), t.awaitEnds(1, Duration.ofSeconds(20)));
        assertTrue(upstreamSaw().contains("cmd DATA"));
        assertTrue(upstreamSaw().stream().noneMatch(l -> l.startsWith("message")), String.valueOf(upstreamSaw()));
    }

    @Test
    void theClientSeesTheConnectionEndAfterTheLastReplyNotOnlyOnceProgramHasExited() throws Exception {
        // A PROGRAM that takes its time to exit after its 221 (one flushing a log, say): greylite waits for it, the
        // client must not wait with it for the end of the connection.
        Tcpserver t = start(env("GREYLIST", ""), "sh", "-c",
                "printf '220 slow.example ESMTP\\r\\n'; read line; printf '221 bye\\r\\n'; exec sleep 4 <&- >&-");
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("221 bye", c.command("QUIT"));
            long start = System.nanoTime();
            assertTrue(c.closedByServer());
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waited < 2000, "the connection ended " + waited + " ms after the 221");
        }
        assertEquals(List.of(0), t.awaitEnds(1, Duration.ofSeconds(15)), "greylite still exits with PROGRAM's status");
    }

    /** The process tcpserver started for the connection it reported last (bin/greylite execs java in it). */
    private static ProcessHandle sessionProcess(Tcpserver t) throws InterruptedException {
        String line = t.awaitLine(l -> l.startsWith("tcpserver: pid "), Duration.ofSeconds(5));
        assertTrue(line != null, "tcpserver reported no connection");
        long pid = Long.parseLong(line.split(" ")[2]);
        return ProcessHandle.of(pid).orElseThrow();
    }

    @Test
    void aWrapperToldToStopBetweenTransactionsTellsItsClient421() throws Exception {
        // SIGTERM reaches every session's greylite when the service stops (systemd signals the whole group).
        Tcpserver t = start(env("GREYLIST", "", "RELAYCLIENT", "", "LOGTHRESHOLD", "6"));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            envelope(c, "a@example.org");
            assertEquals("250 ok", c.command("RCPT TO:<b@example.com>"));
            assertEquals("250 ok", c.command("RSET"));
            sessionProcess(t).destroy();
            String reply = c.reply();
            assertTrue(reply.startsWith("421 4.3.2 ") && reply.endsWith(" service shutting down, closing connection"),
                    reply);
            assertTrue(c.closedByServer());
        }
        t.awaitEnds(1, Duration.ofSeconds(15));
        assertTrue(t.awaitLine(l -> l.contains("session end client=127.0.0.1"), Duration.ofSeconds(5)) != null,
                String.join("\n", t.log()));
        assertTrue(t.chainLog().stream().noneMatch(l -> l.contains("upstream closed")), String.join("\n", t.log()));
    }

    @Test
    void aSessionStoppedTogetherWithItsProgramTellsItsClientTheServiceIsShuttingDown() throws Exception {
        // A service manager stopping tcpserver's whole group (systemd's KillMode=control-group) signals greylite and
        // PROGRAM together. PROGRAM, a C program or a shell, ends at once, before the JVM has run its shutdown hook:
        // greylite read the end of its output as a broken upstream, and every session of the stop was told
        // 421 4.3.0 and logged "upstream closed the connection unexpectedly". Here PROGRAM is signalled first.
        Tcpserver t = start(env("GREYLIST", "", "RELAYCLIENT", "", "LOGTHRESHOLD", "6"));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            envelope(c, "a@example.org");
            ProcessHandle session = sessionProcess(t);
            ProcessHandle program = session.children().findFirst().orElseThrow();
            Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(program.pid()),
                    Long.toString(session.pid())).inheritIO().start();
            assertEquals(0, kill.waitFor());
            String reply = c.reply();
            assertTrue(reply.startsWith("421 4.3.2 ") && reply.endsWith(" service shutting down, closing connection"),
                    reply);
            assertTrue(c.closedByServer());
        }
        t.awaitEnds(1, Duration.ofSeconds(15));
        assertTrue(t.awaitLine(l -> l.contains("session end client=127.0.0.1"), Duration.ofSeconds(5)) != null,
                String.join("\n", t.log()));
        assertTrue(t.chainLog().stream().noneMatch(l -> l.contains("upstream closed")), String.join("\n", t.log()));
    }

    @Test
    void aWrapperToldToStopInTheMiddleOfAMessageTellsItsClient421AndDeliversNothing() throws Exception {
        Tcpserver t = start(env("GREYLIST", "", "RELAYCLIENT", ""));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            envelope(c, "a@example.org");
            assertEquals("250 ok", c.command("RCPT TO:<b@example.com>"));
            assertEquals("354 go ahead", c.command("DATA"));
            c.send("Subject: half a message\r\n\r\nthe first line\r\n");
            Thread.sleep(200);
            sessionProcess(t).destroy();
            String reply = c.reply();
            assertTrue(reply.startsWith("421 4.3.2 "), reply);
            assertTrue(c.closedByServer());
        }
        t.awaitEnds(1, Duration.ofSeconds(15));
        assertTrue(upstreamSaw().contains("cmd DATA"));
        assertTrue(upstreamSaw().stream().noneMatch(l -> l.startsWith("message")), String.valueOf(upstreamSaw()));
    }

    @Test
    void aClientLeavingAtTheGreetingEndsTheSession() throws Exception {
        Tcpserver t = start(env("GREYLIST", ""));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            assertTrue(c.reply().startsWith("220 "));
        }
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            c.abort(); // before the greeting even came
        }
        // PROGRAM reads the end of its input and ends by itself: status 0, nothing left running.
        assertEquals(List.of(0, 0), t.awaitEnds(2, Duration.ofSeconds(20)));
        assertTrue(transcript().stream().filter(l -> l.endsWith(" end eof")).count() >= 1, String.valueOf(transcript()));
    }

    @Test
    void theSqliteLibraryIsTheOneExtractedAtBuildTimeNotACopyInTmp() throws Exception {
        Tcpserver t = start(env("GREYLIST", ""));
        try (SmtpClient c = SmtpClient.connect(t.port())) {
            envelope(c, "a@example.org");
            assertTrue(c.command("RCPT TO:<b@example.com>").startsWith("451 "), "the decision loaded SQLite");
            String lib = c.command("NOOP sqlite").substring(4);
            assertEquals(Launchers.HOME.resolve("dist/target/native").resolve(Path.of(lib).getFileName()).toString(), lib);
        }
    }
}
