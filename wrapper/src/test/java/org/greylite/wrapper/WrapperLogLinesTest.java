package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.greylite.relay.RelaySession;
import org.greylite.testing.SmtpLines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * The wrapper's decision and session lines, for a client on a real connection, PROGRAM a real child process and a
 * real greydb: text the client made up is shown safely and alike in both lines, and the null sender's recipients,
 * decided at DATA, are each counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WrapperLogLinesTest {

    /** Characters no log line may hold: controls (C0, DEL, C1), line separators, bidirectional formatting. */
    private static final Pattern UNSAFE =
            Pattern.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]");

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger("greylite.decision"),
            (Logger) LoggerFactory.getLogger(RelaySession.class), (Logger) LoggerFactory.getLogger(ConfirmedName.class));
    private final List<Level> levels = new java.util.ArrayList<>();

    @BeforeEach
    void capture() {
        lines.start();
        for (Logger l : loggers) {
            levels.add(l.getLevel());
            l.setLevel(Level.INFO);
            l.addAppender(lines);
        }
    }

    @AfterEach
    void release() {
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).detachAppender(lines);
            loggers.get(i).setLevel(levels.get(i));
        }
    }

    private Map<String, String> env() {
        return Harness.env(dir.resolve("greylite.db"), "GREYLITE_MIN_DELAY", "0");
    }

    private List<String> logged(String prefix) {
        synchronized (lines) {
            return lines.list.stream().map(ILoggingEvent::getFormattedMessage).filter(l -> l.startsWith(prefix)).toList();
        }
    }

    @Test
    void controlsSeparatorsAndBidiOverridesAClientSendsReachNoLogLineAndTheHeloReadsAlikeInBoth() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env())) {
            assertEquals("220 upstream ESMTP", h.reply());
            h.send(SmtpLines.command("EHLO caf\u00e9\u202egro.elpmaxe\u2028x\u0085y"));
            assertEquals("250 8BITMIME", h.reply());
            h.send(SmtpLines.command("MAIL FROM:<a", new byte[] {(byte) 0x9b}, "2J", new byte[] {(byte) 0x85}, "b@example.org>"));
            assertEquals("250 ok", h.reply());
            h.send(SmtpLines.command("RCPT TO:<\u2067rcpt\u00a0x\u3000y@example.com>"));
            assertTrue(h.reply().startsWith("451 "));
            assertEquals("221 bye", h.command("QUIT"));
            assertEquals(0, h.exitStatus());
        }
        String helo = "caf\u00e9?gro.elpmaxe?x?y";
        List<String> decisions = logged("decision ");
        assertEquals(1, decisions.size(), decisions.toString());
        assertTrue(decisions.get(0).contains(" helo=" + helo + " from=<a?2J?b@example.org> to=<?rcpt?x?y@example.com> "),
                decisions.get(0));
        List<String> sessions = logged("session end ");
        assertEquals(1, sessions.size(), sessions.toString());
        assertTrue(sessions.get(0).contains(" helo=" + helo + " rcpt-accepted=0 rcpt-refused=1 "), sessions.get(0));
        assertNoUnsafeCharacter();
    }

    private void assertNoUnsafeCharacter() {
        for (String l : logged("")) {
            assertFalse(UNSAFE.matcher(l).find(), "a character no log line may hold: " + l.chars()
                    .mapToObj(c -> c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c))
                    .reduce("", String::concat));
        }
    }

    /**
     * TCPREMOTEHOST is the client's PTR name, which whoever holds its address writes. One that is no DNS name (an
     * empty label, a label over 63 bytes) fails its check before any query, and the failure's text quoted the name
     * whole: an escape sequence and a line break in it reached the log as they were, and a second line of the
     * client's making followed.
     */
    @Test
    void aClaimedNameThatIsNoDnsNameWritesNoLineOfItsOwnWhenItsCheckFails() throws Exception {
        String forged = "decision verdict=accept reason=passed client=192.0.2.7";
        String name = "a..b\u001b[31m\n" + forged + "\r" + "x".repeat(2000);
        try (Harness h = Harness.start(Harness.smtpd(), Harness.env(dir.resolve("greylite.db"),
                "TCPREMOTEHOST", name))) {
            assertEquals("220 upstream ESMTP", h.reply());
            assertEquals("250 8BITMIME", h.command("EHLO client.example"));
            assertEquals("250 ok", h.command("MAIL FROM:<a@example.org>"));
            assertTrue(h.command("RCPT TO:<b@example.com>").startsWith("451 "), "the session has no name");
            assertEquals("221 bye", h.command("QUIT"));
        }
        List<String> said = logged("client 192.0.2.7: TCPREMOTEHOST ");
        assertEquals(1, said.size(), logged("").toString());
        assertTrue(said.get(0).contains("not confirmed"), said.get(0));
        assertTrue(said.get(0).length() < 1000, "the name is shown cut: " + said.get(0).length() + " characters");
        assertNoUnsafeCharacter();
    }

    /** A null sender's transaction to two recipients; returns the reply to DATA, the message sent if 354. */
    private String bounceToTwo() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env())) {
            assertEquals("220 upstream ESMTP", h.reply());
            assertEquals("250 8BITMIME", h.command("EHLO client.example"));
            assertEquals("250 ok", h.command("MAIL FROM:<>"));
            assertEquals("250 ok", h.command("RCPT TO:<a@example.com>"), "decided at DATA");
            assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"));
            String data = h.command("DATA");
            if (data.startsWith("354")) {
                assertEquals("250 queued", h.command("Subject: bounce\r\n\r\nReturned.\r\n."));
            }
            assertEquals("221 bye", h.command("QUIT"));
            assertEquals(0, h.exitStatus());
            return data;
        }
    }

    @Test
    void theNullSendersRecipientsDecidedAtDataCountOnceEachInTheSessionLine() throws Exception {
        assertTrue(bounceToTwo().startsWith("451 4.7.1 <a@example.com>"));
        assertTrue(bounceToTwo().startsWith("354"), "the retry passes (min delay 0, N = 1)");
        List<String> sessions = logged("session end ");
        assertEquals(2, sessions.size(), sessions.toString());
        assertTrue(sessions.get(0).contains(" rcpt-accepted=0 rcpt-refused=2 messages=0 "),
                "two recipients greylisted, one DATA refused: " + sessions.get(0));
        assertTrue(sessions.get(1).contains(" rcpt-accepted=2 rcpt-refused=0 messages=1 "), sessions.get(1));
    }
}
