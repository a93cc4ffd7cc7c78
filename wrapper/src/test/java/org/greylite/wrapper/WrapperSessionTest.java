package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.greylite.relay.RelaySession;
import org.greylite.testing.Stall;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * The wrapper's session: the relay between a client connection and PROGRAM behind pipes, with real
 * child processes and a real greydb.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WrapperSessionTest {

    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        return Harness.env(dir.resolve("greylite.db"), Harness.pairs(new String[] {"GREYLITE_MIN_DELAY", "0"}, pairs));
    }

    @Test
    void pipelinedRepliesComeInCommandOrderWhoeverWroteThem() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env())) {
            assertEquals("220 upstream ESMTP", h.reply());
            // The retry in a new transaction: a recipient named twice in one is one attempt.
            h.send("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
                    + "RSET\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nNOOP\r\nQUIT\r\n");
            assertEquals("250 8BITMIME", h.reply());
            assertEquals("250 ok", h.reply());
            assertTrue(h.reply().startsWith("451 4.7.1 <b@example.com>: greylisted"));
            assertEquals("250 ok", h.reply());
            assertEquals("250 ok", h.reply());
            assertEquals("250 ok", h.reply(), "the retry passes (min delay 0, N = 1)");
            assertEquals("250 ok", h.reply());
            assertEquals("221 bye", h.reply());
            assertTrue(h.closedByServer());
            assertEquals(0, h.exitStatus());
        }
    }

    @Test
    void aFloodOfNoopsEndsWith421AtTheDefaultLimit() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env("TCPLOCALHOST", "mx.test"))) {
            assertEquals("220 upstream ESMTP", h.reply());
            h.send("EHLO client.example\r\n" + "NOOP\r\n".repeat(150));
            assertEquals("250 8BITMIME", h.reply());
            for (int i = 0; i < 99; i++) {
                assertEquals("250 ok", h.reply(), "junk command " + (i + 2));
            }
            assertEquals("421 4.7.0 mx.test Error: too many commands, closing connection", h.reply());
            assertTrue(h.closedByServer());
        }
    }

    @Test
    void tcpserversLocalNameZeroNamesNoHostInThe421() throws Exception {
        String kernel = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).trim();
        try (Harness h = Harness.start(Harness.smtpd(),
                env("TCPLOCALHOST", "0", "GREYLITE_JUNK_COMMAND_LIMIT", "1"))) {
            assertEquals("220 upstream ESMTP", h.reply());
            assertEquals("250 8BITMIME", h.command("EHLO client.example"));
            assertEquals("421 4.7.0 " + kernel + " Error: too many commands, closing connection", h.command("NOOP"),
                    "tcpserver -l0 sets TCPLOCALHOST=0: the kernel's host name stands in, as without the variable");
        }
    }

    @Test
    void theJunkCommandLimitComesFromTheEnvironment() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env("GREYLITE_JUNK_COMMAND_LIMIT", "3"))) {
            assertEquals("220 upstream ESMTP", h.reply());
            assertEquals("250 8BITMIME", h.command("EHLO client.example"));
            assertEquals("250 ok", h.command("MAIL FROM:<a@example.org>"), "mail commands are not junk");
            assertEquals("250 ok", h.command("VRFY postmaster"));
            assertEquals("250 ok", h.command("RSET"));
            assertTrue(h.command("NOOP").startsWith("421 4.7.0 "));
            assertTrue(h.closedByServer());
        }
        try (Harness h = Harness.start(Harness.smtpd(), env("GREYLITE_JUNK_COMMAND_LIMIT", "many"))) {
            assertTrue(h.reply().startsWith("421 "), "a broken setting refuses the connection, temporarily");
            assertTrue(h.errors().contains("GREYLITE_JUNK_COMMAND_LIMIT: 'many' is not a number"), h.errors());
        }
    }

    @Test
    void aLargeMessagePassesByteForByte() throws Exception {
        Path message = dir.resolve("message");
        StringBuilder body = new StringBuilder();
        for (int i = 0; body.length() < 1_000_000; i++) {
            body.append("line ").append(i).append(" of a message large enough to fill every pipe and buffer\r\n");
        }
        try (Harness h = Harness.start(Harness.smtpd(), env("RELAYCLIENT", "", "MESSAGE", message.toString()))) {
            h.reply();
            h.command("EHLO client.example");
            h.command("MAIL FROM:<a@example.org>");
            assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"));
            assertEquals("354 go ahead", h.command("DATA"));
            assertEquals("250 queued", h.command(body + "."));
            assertEquals("221 bye", h.command("QUIT"));
            assertEquals(0, h.exitStatus());
        }
        // The shell server stored each line as it read it, CR included: the message, byte for byte.
        assertEquals(body.toString(), Files.readString(message, StandardCharsets.US_ASCII));
    }

    @Test
    void aClientThatDoesNotReadItsRepliesStallsTheRelayNotTheMemory() throws Exception {
        // PROGRAM answers every line at once: sed, as the shell server reads a byte at a time and would take
        // long over so many commands. QUIT ends it.
        List<String> quick = List.of("sh", "-c", "CR=$(printf '\\r'); printf '220 upstream ESMTP\\r\\n'; "
                + "exec sed -e \"/^[Qq][Uu][Ii][Tt]/{s/.*/221 bye$CR/;q;}\" -e \"s/.*/250 ok$CR/\"");
        // Without the junk command limit, which would end a flood of NOOPs (see the tests of the limit). The
        // connection's buffers are fixed at 64 KB, so that what it holds is known.
        try (Harness h = Harness.start(quick, env("RELAYCLIENT", "", "GREYLITE_JUNK_COMMAND_LIMIT", "0"),
                64 * 1024)) {
            assertEquals("220 upstream ESMTP", h.reply());
            // 1,000,000 pipelined commands (6 MB), 8 MB of replies, none read while they are sent: the
            // connection's buffers fill, greylite stops reading, the sender blocks; reading drains it all.
            int n = 1_000_000;
            AtomicLong sent = new AtomicLong();
            AtomicReference<Exception> failure = new AtomicReference<>();
            Thread sender = new Thread(() -> {
                try {
                    String batch = "NOOP\r\n".repeat(1000);
                    for (int i = 0; i < n; i += 1000) {
                        h.send(batch);
                        sent.addAndGet(1000);
                    }
                    h.send("QUIT\r\n");
                } catch (Exception e) {
                    failure.set(e);
                }
            }, "sender");
            sender.setDaemon(true);
            sender.start();
            Stall.Seen seen = Stall.await(sent::get, n, Duration.ofSeconds(20));
            long after = seen.count();
            assertTrue(sender.isAlive() && seen.stuck() && after < n,
                    "the sender must be held up by back-pressure; commands sent: " + after);
            // The connection (4 x 128 KB at most, the kernel doubling what was asked), the pipes to PROGRAM and
            // back (64 KB each), and the session's queues up to their high-water marks (256 KB each way, and
            // a chunk read or being written): about 1.5 MB, commands and replies together. 3 MB of commands
            // could only be held by a session that does not stop reading.
            assertTrue(after * 6 < 3_000_000, "commands taken in while the client read nothing: " + after);

            byte[] replies = h.in.readAllBytes(); // the session closes the connection after QUIT
            byte[] expected = ("250 ok\r\n".repeat(n) + "221 bye\r\n").getBytes(StandardCharsets.US_ASCII);
            assertEquals(-1, Arrays.mismatch(expected, replies),
                    "every reply in order, then the end; " + replies.length + " bytes read of " + expected.length);
            sender.join(10_000);
            assertFalse(sender.isAlive(), "the sender got everything out once the replies were read");
            assertNull(failure.get());
            assertEquals(0, h.exitStatus());
        }
    }

    @Test
    void withAGreetingDelayProgramStartsOnlyWhenTheDelayIsOver() throws Exception {
        Path started = dir.resolve("started");
        long t0 = System.nanoTime(); // before the session starts: the delay is counted from its start, later
        // A delay of 3 s: the look 300 ms into it stays within it even when the test thread runs late.
        try (Harness h = Harness.start(Harness.smtpd(), env("GREETDELAY", "3000", "STARTED", started.toString()))) {
            Thread.sleep(300);
            assertFalse(Files.exists(started), "PROGRAM must not run during the delay");
            assertEquals("220 upstream ESMTP", h.reply());
            assertTrue(Files.exists(started));
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(elapsed >= 3000, "the greeting came " + elapsed + " ms after the session started");
            assertEquals("221 bye", h.command("QUIT"));
            assertEquals(0, h.exitStatus());
        }
    }

    @Test
    void aClientLeavingDuringTheGreetingDelayNeverStartsProgram() throws Exception {
        Path started = dir.resolve("started");
        Harness h = Harness.start(Harness.smtpd(), env("GREETDELAY", "500", "STARTED", started.toString()));
        h.close();
        assertEquals(0, h.exitStatus());
        Thread.sleep(700);
        assertFalse(Files.exists(started));
    }

    @Test
    void exitStatusIsProgramsAndAnEarlyEndGivesTheClient421() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env("EXIT_STATUS", "9"))) {
            h.reply();
            assertEquals("221 bye", h.command("QUIT"));
            assertEquals(9, h.exitStatus());
        }
        try (Harness h = Harness.start(List.of("sh", "-c", "printf '220 hi\\r\\n'; exit 4"), env())) {
            assertEquals("220 hi", h.reply());
            String reply = h.command("EHLO client.example");
            assertTrue(reply.startsWith("421 4.3.0 "), reply);
            assertTrue(h.closedByServer());
            assertEquals(4, h.exitStatus());
        }
        try (Harness h = Harness.start(List.of(dir.resolve("missing").toString()), env())) {
            assertTrue(h.reply().startsWith("421 4.3.0 "));
            assertEquals(Greylite.EXIT_TEMPORARY, h.exitStatus());
        }
    }

    @Test
    void aMessageCutShortIsNeverCompletedByProgram() throws Exception {
        Path message = dir.resolve("message");
        Path survived = dir.resolve("survived");
        // After its input ends, this server would declare the message complete: greylite must kill it first.
        String lenient = Harness.SMTPD.replace("      printf '250 queued\\r\\n' ;;",
                "      : > \"" + survived + "\"; printf '250 queued\\r\\n' ;;");
        Harness h = Harness.start(List.of("sh", "-c", lenient), env("RELAYCLIENT", "", "MESSAGE", message.toString()));
        h.reply();
        h.command("MAIL FROM:<a@example.org>");
        h.command("RCPT TO:<b@example.com>");
        assertEquals("354 go ahead", h.command("DATA"));
        h.send("Subject: cut short\r\n\r\nfirst line\r\n");
        Thread.sleep(200);
        h.client.setSoLinger(true, 0);
        h.close();
        assertEquals(128 + 15, h.exitStatus(), "PROGRAM terminated with SIGTERM");
        assertFalse(Files.exists(survived));
    }

    @Test
    void aBrokenDurationRefusesTheConnectionWithoutStartingProgram() throws Exception {
        Path started = dir.resolve("started");
        try (Harness h = Harness.start(Harness.smtpd(), env("GREYLITE_MIN_DELAY", "soon", "STARTED", started.toString()))) {
            assertTrue(h.reply().startsWith("421 4.3.0 "));
            assertEquals(Greylite.EXIT_TEMPORARY, h.exitStatus());
            assertTrue(h.errors().startsWith("greylite: GREYLITE_MIN_DELAY: bad duration 'soon'"), h.errors());
        }
        assertFalse(Files.exists(started));
    }

    /** Taken for "never auto-whitelist", 0 forgot every passed triplet at once: each message was greylisted again. */
    @Test
    void aWhitelistLifetimeOfZeroRefusesTheConnectionWithoutStartingProgram() throws Exception {
        Path started = dir.resolve("started");
        try (Harness h = Harness.start(Harness.smtpd(), env("GREYLITE_WHITELIST_LIFETIME", "0", "STARTED", started.toString()))) {
            assertTrue(h.reply().startsWith("421 4.3.0 "));
            assertEquals(Greylite.EXIT_TEMPORARY, h.exitStatus());
            assertTrue(h.errors().contains("whitelist-lifetime must be longer than 0"), h.errors());
        }
        assertFalse(Files.exists(started));
    }

    @Test
    void anUnusableGreydbFailsOpen() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
        try (Harness h = Harness.start(Harness.smtpd(), env("DBFILE", file.resolve("greylite.db").toString()))) {
            h.reply();
            h.command("MAIL FROM:<a@example.org>");
            assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"), "accepted: greydb errors fail open");
            assertEquals("221 bye", h.command("QUIT"));
            assertEquals(0, h.exitStatus());
        }
    }

    @Test
    void withoutAValidClientAddressNothingIsGreylisted() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env("TCPREMOTEIP", "mail.example.org"))) {
            h.reply();
            h.command("MAIL FROM:<a@example.org>");
            assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"));
            h.command("QUIT");
            assertEquals(0, h.exitStatus());
        }
        assertFalse(Files.exists(dir.resolve("greylite.db")));
    }

    @Test
    void withoutAValidClientAddressTheSessionLineCountsTheRecipientsPassedOnAsARelayClientsDoes() throws Exception {
        List<String> lines = sessionLinesDuring(() -> {
            for (String[] pairs : new String[][] {{"TCPREMOTEIP", "not-an-ip"}, {"RELAYCLIENT", ""}}) {
                try (Harness h = Harness.start(Harness.smtpd(), env(pairs))) {
                    h.reply();
                    h.command("EHLO client.example");
                    h.command("MAIL FROM:<a@example.org>");
                    assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"));
                    assertEquals("250 ok", h.command("RCPT TO:<c@example.com>"));
                    assertEquals("221 bye", h.command("QUIT"));
                    assertEquals(0, h.exitStatus());
                }
            }
        });
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("session end client=0.0.0.0 ")
                && lines.get(0).contains(" rcpt-accepted=2 rcpt-refused=0 messages=0 "), "a bad TCPREMOTEIP: " + lines.get(0));
        assertTrue(lines.get(1).startsWith("session end client=192.0.2.7 ")
                && lines.get(1).contains(" rcpt-accepted=2 rcpt-refused=0 messages=0 "), "RELAYCLIENT: " + lines.get(1));
    }

    /** The {@code session end} lines logged while {@code sessions} ran, each session over by the time it returns. */
    private static List<String> sessionLinesDuring(ThrowingRunnable sessions) throws Exception {
        Logger relayLog = (Logger) LoggerFactory.getLogger(RelaySession.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        Level before = relayLog.getLevel();
        relayLog.setLevel(Level.INFO);
        appender.start();
        relayLog.addAppender(appender);
        try {
            sessions.run();
        } finally {
            relayLog.detachAppender(appender);
            relayLog.setLevel(before);
        }
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(l -> l.startsWith("session end ")).toList();
        }
    }

    @Test
    void vRulesSeeTheEnvironment() throws Exception {
        Path rules = Files.writeString(dir.resolve("suspicion"), "0 v TRUSTED\n5 v BLACKLISTED\n");
        try (Harness h = Harness.start(Harness.smtpd(), env("SUSPICION", rules.toString(), "TRUSTED", ""))) {
            h.reply();
            h.command("MAIL FROM:<a@example.org>");
            assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"), "N = 0: accepted at once");
            h.command("QUIT");
        }
        try (Harness h = Harness.start(Harness.smtpd(),
                env("SUSPICION", rules.toString(), "BLACKLISTED", "2", "TCPREMOTEIP", "198.51.100.9"))) {
            h.reply();
            h.command("MAIL FROM:<a@example.org>");
            assertTrue(h.command("RCPT TO:<b@example.com>").startsWith("451 "));
            h.command("RSET"); // each retry in a transaction of its own: a repeat within one is no new attempt
            h.command("MAIL FROM:<a@example.org>");
            assertTrue(h.command("RCPT TO:<b@example.com>").startsWith("451 "), "BLACKLISTED=2 makes N = 2");
            h.command("RSET");
            h.command("MAIL FROM:<a@example.org>");
            assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"));
            h.command("QUIT");
        }
    }

    @Test
    void aSuspicionFileThatCannotBeReadIsReportedWithTheReason() throws Exception {
        Path missing = dir.resolve("nosuch.susp");
        String log = loggedDuring(() -> {
            try (Harness h = Harness.start(Harness.smtpd(), env("SUSPICION", missing.toString()))) {
                assertEquals("220 upstream ESMTP", h.reply());
                assertEquals("250 8BITMIME", h.command("EHLO client.example"));
                assertEquals("250 ok", h.command("MAIL FROM:<a@example.org>"));
                assertTrue(h.command("RCPT TO:<b@example.com>").startsWith("451 4.7.1"), "the default: refused once");
                assertEquals("221 bye", h.command("QUIT"));
            }
        });
        assertTrue(log.contains("suspicion file " + missing + " cannot be read (no such file): every client gets the default"),
                log);
    }

    @Test
    void aMalformedLogThresholdIsReportedAndTheSessionGoesOn() throws Exception {
        for (String bad : new String[] {"9", "abc", "-1", "8"}) {
            String log = loggedDuring(() -> {
                try (Harness h = Harness.start(Harness.smtpd(), env("LOGTHRESHOLD", bad))) {
                    assertEquals("220 upstream ESMTP", h.reply(), "a log setting refuses no connection");
                    assertEquals("221 bye", h.command("QUIT"));
                }
            });
            assertTrue(log.contains("LOGTHRESHOLD '" + bad + "' ignored: not a priority 0-7 (0 emerg .. 7 debug); "
                    + "the threshold is 3"), log);
        }
        assertFalse(loggedDuring(() -> {
            try (Harness h = Harness.start(Harness.smtpd(), env("LOGTHRESHOLD", "6"))) {
                assertEquals("220 upstream ESMTP", h.reply());
                assertEquals("221 bye", h.command("QUIT"));
            }
        }).contains("LOGTHRESHOLD"), "a good value says nothing");
    }

    /** What the session logged (the test's SLF4J provider writes to System.err) while {@code session} ran. */
    private static String loggedDuring(ThrowingRunnable session) throws Exception {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(b, true, StandardCharsets.UTF_8));
        try {
            session.run();
        } finally {
            System.setErr(saved);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
