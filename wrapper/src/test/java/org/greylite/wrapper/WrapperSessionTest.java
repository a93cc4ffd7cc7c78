package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.relay.RelaySession;
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
            h.send("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
                    + "RCPT TO:<b@example.com>\r\nNOOP\r\nQUIT\r\n");
            assertEquals("250 8BITMIME", h.reply());
            assertEquals("250 ok", h.reply());
            assertTrue(h.reply().startsWith("451 4.7.1 <b@example.com>: greylisted"));
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
        // Without the junk command limit, which would end a flood of NOOPs (see the tests of the limit).
        try (Harness h = Harness.start(Harness.smtpd(), env("RELAYCLIENT", "", "GREYLITE_JUNK_COMMAND_LIMIT", "0"))) {
            h.reply();
            // 40,000 pipelined commands, about 400 KB of replies, none read while they are sent: the
            // socket buffers fill, greylite stops reading, the sender blocks; reading drains it all.
            int n = 40_000;
            Thread sender = new Thread(() -> {
                try {
                    StringBuilder batch = new StringBuilder();
                    for (int i = 0; i < n; i++) {
                        batch.append("NOOP\r\n");
                        if (batch.length() > 8192) {
                            h.send(batch.toString());
                            batch.setLength(0);
                        }
                    }
                    h.send(batch + "QUIT\r\n");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            sender.start();
            Thread.sleep(500);
            for (int i = 0; i < n; i++) {
                assertEquals("250 ok", h.reply());
            }
            assertEquals("221 bye", h.reply());
            sender.join(10_000);
            assertEquals(0, h.exitStatus());
        }
    }

    @Test
    void withAGreetingDelayProgramStartsOnlyWhenTheDelayIsOver() throws Exception {
        Path started = dir.resolve("started");
        try (Harness h = Harness.start(Harness.smtpd(), env("GREETDELAY", "700", "STARTED", started.toString()))) {
            Thread.sleep(300);
            assertFalse(Files.exists(started), "PROGRAM must not run during the delay");
            long t0 = System.nanoTime();
            assertEquals("220 upstream ESMTP", h.reply());
            assertTrue(Files.exists(started));
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) >= 200);
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
            assertTrue(h.command("RCPT TO:<b@example.com>").startsWith("451 "), "BLACKLISTED=2 makes N = 2");
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
