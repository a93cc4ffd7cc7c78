package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.EnumSet;
import java.util.Map;

import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.RuleMatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class DecisionLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger("greylite.decision");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private Level before;

    @BeforeEach
    void capture() {
        before = logger.getLevel();
        logger.setLevel(Level.INFO);
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
        logger.setLevel(before);
    }

    private static RcptRequest request(String helo, String from, String to, String skip) throws Exception {
        return new RcptRequest(InetAddress.getByName("192.0.2.7"),
                new ClientFacts("192.0.2.7", "mx.example.net", helo, from, to, Map.of(), EnumSet.noneOf(Behaviour.class)), skip);
    }

    @Test
    void oneGreppableLinePerDecision() throws Exception {
        Verdict v = new Verdict(Verdict.Action.GREYLIST, Verdict.Reason.FIRST_ATTEMPT, "192.0.2.0/24", 1, 2,
                new RuleMatch("/etc/suspicion", 7, "2 r ^$"), 300);
        new DecisionLog().decided(request("mx.example.net", "a@example.net", "b@example.org", null), v);
        assertEquals(1, lines.list.size());
        assertEquals("decision verdict=greylist reason=first-attempt client=192.0.2.7 key=192.0.2.0/24 ptr=mx.example.net"
                + " helo=mx.example.net from=<a@example.net> to=<b@example.org> attempt=1 refusals-needed=2 retry-after=300s"
                + " rule=/etc/suspicion:7 \"2 r ^$\"", lines.list.get(0).getFormattedMessage());
        assertEquals(Level.INFO, lines.list.get(0).getLevel());
    }

    @Test
    void clientTextCannotForgeALogLine() throws Exception {
        Verdict v = new Verdict(Verdict.Action.ACCEPT, Verdict.Reason.PASSED, "192.0.2.0/24", 2, 1, null, 0);
        new DecisionLog().decided(request("evil\nverdict=accept", "a b@x", "c\u0007d@y", null), v);
        String line = lines.list.get(0).getFormattedMessage();
        assertTrue(line.contains(" helo=evil?verdict=accept from=<a?b@x> to=<c?d@y> "), line);
        assertTrue(line.endsWith(" rule=-"), line);
    }

    @Test
    void clientTextIsCutAt256CharactersWhetherOrNotItNeededCleaning() throws Exception {
        Verdict v = new Verdict(Verdict.Action.ACCEPT, Verdict.Reason.PASSED, "192.0.2.0/24", 2, 1, null, 0);
        String longClean = "a".repeat(300) + "@x";
        String longDirty = "b c".repeat(100) + "@x";
        new DecisionLog().decided(request("h", longClean, longDirty, null), v);
        String line = lines.list.get(0).getFormattedMessage();
        assertTrue(line.contains(" from=<" + "a".repeat(256) + "...> to=<" + "b?c".repeat(85) + "b...> "), line);
    }

    @Test
    void skippedDecisionsAreDebugOnly() throws Exception {
        new DecisionLog().decided(request("h", "a@x", "b@y", "authenticated"), Verdict.skipped("192.0.2.0/24"));
        assertTrue(lines.list.isEmpty());
        logger.setLevel(Level.DEBUG);
        new DecisionLog().decided(request("h", "a@x", "b@y", "authenticated"), Verdict.skipped("192.0.2.0/24"));
        assertEquals(1, lines.list.size());
        assertTrue(lines.list.get(0).getFormattedMessage().contains("reason=skipped(authenticated)"));
    }
}
