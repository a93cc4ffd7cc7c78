package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.greylite.relay.RelaySession;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.RuleMatch;
import org.greylite.suspicion.Suspicion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * What the decision and session lines count, for clients on real sockets through a greylited in this JVM (a
 * clock the test moves): the attempt's number and the N it needs, and the recipients of a null sender, decided
 * together at DATA, each counted in the session line.
 */
class DecisionAndSessionLinesTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger("greylite.decision"),
            (Logger) LoggerFactory.getLogger(RelaySession.class));
    private final List<Level> levels = new java.util.ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        lines.start();
        for (Logger l : loggers) {
            levels.add(l.getLevel());
            l.setLevel(Level.INFO);
            l.addAppender(lines);
        }
        // A suspicious client (a line matched, N = 1) is never auto-whitelisted: each triplet has its own fate.
        RuleMatch rule = new RuleMatch("test.suspicion", 1, "1 v SUSPECT");
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address(), f -> new Suspicion(1, rule),
                RelaySettings.defaults("proxy.test"), b -> { });
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).detachAppender(lines);
            loggers.get(i).setLevel(levels.get(i));
        }
    }

    private List<String> logged(String prefix) {
        synchronized (lines) {
            return lines.list.stream().map(ILoggingEvent::getFormattedMessage).filter(l -> l.startsWith(prefix)).toList();
        }
    }

    /** The session line of the {@code n}th session (1 = first), once it is logged. */
    private String sessionLine(int n) throws InterruptedException {
        ProxyEndToEndTest.waitFor(() -> logged("session end ").size() >= n, "session line " + n);
        return logged("session end ").get(n - 1);
    }

    private String rcpt(String from, String to) throws IOException {
        try (RawClient c = proxy.client().hello()) {
            return c.rcptThenQuit(from, to);
        }
    }

    @Test
    void anEarlyRetryIsTheNextAttemptAndTheLineNamesTheRefusalsNeeded() throws Exception {
        assertTrue(rcpt("a@example.org", "b@example.com").startsWith("451"));
        proxy.clock.advance(Duration.ofSeconds(60));
        assertTrue(rcpt("a@example.org", "b@example.com").startsWith("451"), "within min-delay: not counted");
        proxy.clock.advance(Duration.ofSeconds(241));
        assertTrue(rcpt("a@example.org", "b@example.com").startsWith("250"));

        List<String> decisions = logged("decision ");
        assertEquals(3, decisions.size(), decisions.toString());
        assertTrue(decisions.get(0).contains(" reason=first-attempt ")
                && decisions.get(0).contains(" attempt=1 refusals-needed=1 retry-after=300s "), decisions.get(0));
        assertTrue(decisions.get(1).contains(" reason=early-retry ")
                && decisions.get(1).contains(" attempt=2 refusals-needed=1 retry-after=240s "),
                "the second attempt, not counted: " + decisions.get(1));
        assertTrue(decisions.get(2).contains(" reason=passed ")
                && decisions.get(2).contains(" attempt=2 refusals-needed=1 rule="),
                "the counted second attempt passes: " + decisions.get(2));
    }

    /** A null sender's transaction to {@code recipients}; returns the reply to DATA, the message sent if 354. */
    private String nullSenderTo(String... recipients) throws IOException {
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<>", 250);
            for (String r : recipients) {
                c.command("RCPT TO:<" + r + ">", 250); // decided at DATA
            }
            c.send("DATA\r\n");
            String reply = c.reply();
            if (reply.startsWith("354")) {
                c.send("Subject: bounce\r\n\r\nReturned.\r\n.\r\n");
                c.expect(250);
            }
            c.command("QUIT", 221);
            return reply;
        }
    }

    @Test
    void theNullSendersRecipientsDecidedAtDataCountOnceEachInTheSessionLine() throws Exception {
        assertTrue(nullSenderTo("a@example.com", "b@example.com").startsWith("451 4.7.1 <a@example.com>"));
        assertTrue(sessionLine(1).contains(" rcpt-accepted=0 rcpt-refused=2 messages=0 "),
                "two recipients greylisted, one DATA refused: " + sessionLine(1));

        proxy.clock.advance(Duration.ofMinutes(6));
        assertTrue(nullSenderTo("a@example.com", "b@example.com", "c@example.com").startsWith("451 4.7.1 <c@example.com>"));
        assertTrue(sessionLine(2).contains(" rcpt-accepted=2 rcpt-refused=1 messages=0 "),
                "a and b pass, c waits and holds the message back: " + sessionLine(2));

        proxy.clock.advance(Duration.ofMinutes(6));
        assertTrue(nullSenderTo("a@example.com", "b@example.com", "c@example.com").startsWith("354"));
        assertTrue(sessionLine(3).contains(" rcpt-accepted=3 rcpt-refused=0 messages=1 "), sessionLine(3));
        assertEquals(8, logged("decision ").size(), "one decision line per recipient decided: " + logged("decision "));
    }
}
