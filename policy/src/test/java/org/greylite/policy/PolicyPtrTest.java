package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.connect.PtrLookup;
import org.greylite.testing.DnsmasqPerClass;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * The client's name when the request carries no {@code client_name}: looked up as greylited looks it up, through
 * a real DNS server (dnsmasq on loopback: 127.0.0.1 is {@code mx.ptr.test}, forward-confirmed, and listed in
 * {@code wl.test}), over the real policy protocol. Postfix's own {@code client_name}, {@code unknown} included,
 * is never looked up again. Whether a lookup went out is read from {@link PtrLookup}'s debug line, one per
 * lookup sent to the DNS (each test starts a service with an empty cache).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyPtrTest {

    /** N = 0 for the confirmed name: its first attempt passes, where any other client is greylisted. */
    private static final String RULE = "0 r ^mx\\.ptr\\.test$";

    @RegisterExtension
    static final DnsmasqPerClass dns = new DnsmasqPerClass();

    @TempDir
    Path dir;

    private RunningPolicy policy;
    private final Map<Logger, ListAppender<ILoggingEvent>> captured = new java.util.LinkedHashMap<>();

    @AfterEach
    void stop() {
        if (policy != null) {
            policy.close();
        }
        captured.forEach((logger, appender) -> {
            logger.detachAppender(appender);
            logger.setLevel(null);
        });
    }

    private PolicyClient start(String... extra) throws Exception {
        Path rules = dir.resolve("suspicion");
        TestPolicy.writeFile(rules, RULE + "\n");
        String[] flags = new String[extra.length + 2];
        flags[0] = "--suspicion=" + rules;
        flags[1] = "--dns=127.0.0.1:" + dns.address().getPort();
        System.arraycopy(extra, 0, flags, 2, extra.length);
        policy = TestPolicy.start(dir, flags);
        return PolicyClient.tcp(policy.tcpAddress());
    }

    /** The debug lines of {@code name} from now on. */
    private ListAppender<ILoggingEvent> debugOf(String name) {
        Logger logger = (Logger) LoggerFactory.getLogger(name);
        logger.setLevel(Level.DEBUG);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        captured.put(logger, appender);
        return appender;
    }

    private static Map<String, String> rcpt(String clientName, String recipient) {
        Map<String, String> r = PolicyClient.rcpt("127.0.0.1", "a@example.net", recipient);
        if (clientName == null) {
            r.remove("client_name");
        } else {
            r.put("client_name", clientName);
        }
        return r;
    }

    @Test
    void withoutClientNameTheConfirmedPtrNameIsLookedUpAndMatchesAnRRule() throws Exception {
        ListAppender<ILoggingEvent> lookups = debugOf(PtrLookup.class.getName());
        ListAppender<ILoggingEvent> decisions = debugOf("greylite.decision");
        try (PolicyClient c = start()) {
            // The first lookup goes to dnsmasq: the decision waits for it and resumes on the I/O thread.
            assertEquals("DUNNO", c.ask(rcpt(null, "b@example.org")), "N = 0 for mx.ptr.test");
            // Cached now: decided at once, same name.
            assertEquals("DUNNO", c.ask(rcpt(null, "c@example.org")));
        }
        String log = TestPolicy.lines(decisions);
        assertTrue(log.contains("client=127.0.0.1 key=127.0.0.0/24 ptr=mx.ptr.test "), log);
        assertTrue(log.contains("rule=" + dir.resolve("suspicion") + ":1 \"" + RULE + "\""), log);
        assertEquals(1, count(TestPolicy.lines(lookups), "PTR 127.0.0.1: mx.ptr.test"), "one lookup, then the cache");
    }

    @Test
    void postfixsUnknownIsNoNameAndIsNotLookedUp() throws Exception {
        ListAppender<ILoggingEvent> lookups = debugOf(PtrLookup.class.getName());
        ListAppender<ILoggingEvent> decisions = debugOf("greylite.decision");
        try (PolicyClient c = start()) {
            assertEquals(PolicyProtocolTest.GREYLISTED_301, c.ask(rcpt("unknown", "b@example.org")));
        }
        String log = TestPolicy.lines(decisions);
        assertTrue(log.contains("decision verdict=greylist reason=first-attempt client=127.0.0.1 key=127.0.0.0/24 ptr=- "),
                log);
        assertTrue(log.contains(" rule=-"), log);
        assertFalse(TestPolicy.lines(lookups).contains("PTR 127.0.0.1"), "Postfix's answer is not asked again");
    }

    @Test
    void postfixsClientNameIsUsedAsGivenWithoutALookup() throws Exception {
        ListAppender<ILoggingEvent> lookups = debugOf(PtrLookup.class.getName());
        ListAppender<ILoggingEvent> decisions = debugOf("greylite.decision");
        try (PolicyClient c = start()) {
            assertEquals(PolicyProtocolTest.GREYLISTED_301, c.ask(rcpt("Relay.Example.COM", "b@example.org")),
                    "the name Postfix verified, not the PTR name, meets the r rule");
        }
        String log = TestPolicy.lines(decisions);
        assertTrue(log.contains(" client=127.0.0.1 key=example.com ptr=relay.example.com "), log);
        assertFalse(TestPolicy.lines(lookups).contains("PTR 127.0.0.1"), TestPolicy.lines(lookups));
    }

    @Test
    void aDnsWhitelistAndAPtrLookupAreBothWaitedFor() throws Exception {
        ListAppender<ILoggingEvent> decisions = debugOf("greylite.decision");
        try (PolicyClient c = start("--dnswl=wl.test")) {
            assertEquals("DUNNO", c.ask(rcpt(null, "b@example.org")));
        }
        String log = TestPolicy.lines(decisions);
        assertTrue(log.contains("decision verdict=accept reason=skipped(dnswl:wl.test) client=127.0.0.1 key=127.0.0.0/24 "
                + "ptr=mx.ptr.test "), log);
    }

    @Test
    void aPtrTimeoutOfZeroLooksNothingUp() throws Exception {
        ListAppender<ILoggingEvent> lookups = debugOf(PtrLookup.class.getName());
        ListAppender<ILoggingEvent> decisions = debugOf("greylite.decision");
        try (PolicyClient c = start("--ptr-timeout=0")) {
            assertEquals(PolicyProtocolTest.GREYLISTED_301, c.ask(rcpt(null, "b@example.org")));
        }
        assertTrue(TestPolicy.lines(decisions).contains(" client=127.0.0.1 key=127.0.0.0/24 ptr=- "),
                TestPolicy.lines(decisions));
        assertFalse(TestPolicy.lines(lookups).contains("PTR 127.0.0.1"), TestPolicy.lines(lookups));
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }
}
