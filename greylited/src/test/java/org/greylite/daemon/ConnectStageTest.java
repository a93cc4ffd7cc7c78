package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.connect.AccessRules;
import org.greylite.connect.PtrLookup;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.suspicion.geoip.CountryLocator;
import org.greylite.testing.Dnsmasq;
import org.greylite.testing.DnsmasqPerClass;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
 * The connect stage through the whole proxy: PTR names from a real DNS server (dnsmasq; see {@link Dnsmasq}
 * for which loopback address has which name) reaching {@code r} rules, the access file's verdicts and
 * variables reaching the session, and the decision log naming the rule that decided.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectStageTest {

    private static final String RULES = String.join("\n",
            "# r rules see the confirmed PTR name, v rules the access file's variables",
            "0 r ^mx\\.ptr\\.test$",
            "1 v SUSPECT",
            "3 r ^$",
            "");

    @RegisterExtension
    static final DnsmasqPerClass dns = new DnsmasqPerClass();

    @TempDir
    Path dir;

    private Path suspicionFile;
    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private ProxyHarness proxy;
    private final List<DatagramSocket> holes = new ArrayList<>();

    private final Logger decisions = (Logger) LoggerFactory.getLogger("greylite.decision");
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Level levelBefore;

    @BeforeEach
    void setUp() throws IOException {
        suspicionFile = Files.writeString(dir.resolve("suspicion"), RULES);
        levelBefore = decisions.getLevel();
        decisions.setLevel(Level.INFO);
        log.start();
        decisions.addAppender(log);
    }

    @AfterEach
    void tearDown() throws IOException {
        decisions.detachAppender(log);
        decisions.setLevel(levelBefore);
        if (proxy != null) {
            proxy.close();
        }
        holes.forEach(DatagramSocket::close);
    }

    private void startProxy(PtrLookup ptr, AccessRules access) throws IOException {
        SuspicionFile rules = SuspicionFile.load(suspicionFile, CountryLocator.NONE);
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address(), rules,
                RelaySettings.defaults("proxy.test"), b -> {
                    b.ptrLookup(ptr);
                    if (access != null) {
                        b.access(access);
                    }
                });
    }

    private static PtrLookup ptrLookup() {
        return PtrLookup.create(List.of(dns.address()), Duration.ofSeconds(3));
    }

    /** Connects from {@code from}, sends one envelope and returns the RCPT reply. */
    private String rcptFrom(String from) throws IOException {
        try (RawClient c = new RawClient(proxy.address(), InetAddress.getByName(from)).hello()) {
            return c.rcptThenQuit("a@example.org", "b@example.com");
        }
    }

    /** The decision lines logged so far. */
    private List<String> decisionLines() {
        synchronized (log) {
            return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private String onlyDecision() {
        List<String> lines = decisionLines();
        assertEquals(1, lines.size(), lines.toString());
        return lines.get(0);
    }

    private String rule(int line, String text) {
        return " rule=" + suspicionFile + ":" + line + " \"" + text + "\"";
    }

    @Test
    void aConfirmedPtrNameMatchesAnRRuleAndTheDecisionLogNamesTheRule() throws Exception {
        startProxy(ptrLookup(), null);
        assertTrue(rcptFrom("127.0.0.1").startsWith("250"), "N = 0 for mx.ptr.test: accepted at once");
        String line = onlyDecision();
        assertTrue(line.contains(" client=127.0.0.1 ") && line.contains(" ptr=mx.ptr.test "), line);
        assertTrue(line.endsWith(" refusals-needed=0" + rule(2, "0 r ^mx\\.ptr\\.test$")), line);
    }

    @Test
    void theSessionSummaryNamesTheClientWithItsConfirmedPtrName() throws Exception {
        Logger relayLog = (Logger) LoggerFactory.getLogger(org.greylite.relay.RelaySession.class);
        ListAppender<ILoggingEvent> summaries = new ListAppender<>();
        Level before = relayLog.getLevel();
        relayLog.setLevel(Level.INFO);
        summaries.start();
        relayLog.addAppender(summaries);
        try {
            startProxy(ptrLookup(), null);
            rcptFrom("127.0.0.1");
            ProxyEndToEndTest.waitFor(() -> summaryLines(summaries).stream().anyMatch(l -> l.startsWith("session end ")),
                    "the session summary");
            String summary = summaryLines(summaries).stream().filter(l -> l.startsWith("session end ")).findFirst().orElseThrow();
            assertTrue(summary.contains(" client=127.0.0.1 ptr=mx.ptr.test "), summary);
        } finally {
            relayLog.detachAppender(summaries);
            relayLog.setLevel(before);
        }
    }

    private static List<String> summaryLines(ListAppender<ILoggingEvent> appender) {
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Test
    void anUnconfirmedOrMissingPtrNameIsTheEmptyName() throws Exception {
        startProxy(ptrLookup(), null);
        assertTrue(rcptFrom("127.0.0.2").startsWith("451"), "liar.ptr.test does not resolve to 127.0.0.2");
        assertTrue(rcptFrom("127.0.0.3").startsWith("451"), "no PTR record");
        List<String> lines = decisionLines();
        assertEquals(2, lines.size(), lines.toString());
        for (String line : lines) {
            assertTrue(line.contains(" ptr=- ") && line.contains(" refusals-needed=3 ") && line.endsWith(rule(4, "3 r ^$")), line);
        }
    }

    @Test
    void aDeadDnsServerDelaysNeitherTheGreetingNorTheDecisionBeyondTheTimeout() throws Exception {
        DatagramSocket hole = Dnsmasq.blackHole();
        holes.add(hole);
        // Long enough that the bounds below tell "waited for the lookup" from "did not" on a loaded machine.
        Duration timeout = Duration.ofSeconds(5);
        startProxy(PtrLookup.create(List.of((InetSocketAddress) hole.getLocalSocketAddress()), timeout), null);

        long start = System.nanoTime();
        try (RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.0.0.1"))) {
            c.expect(220);
            long greeting = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(greeting < timeout.toMillis() / 2, "the greeting came after " + greeting + " ms");
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<a@example.org>", 250);
            c.send("RCPT TO:<b@example.com>\r\n");
            assertTrue(c.reply().startsWith("451"));
            long decided = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // The lookup starts when the client connects, a little after start. The upper bound leaves room for a
            // loaded machine and stays under two timeouts: the RCPT waits for the lookup begun at the connection,
            // no longer.
            assertTrue(decided >= timeout.toMillis() - 200 && decided < timeout.toMillis() + 4000,
                    "the RCPT waited for the lookup until it gave up: " + decided + " ms");
        }
        String line = onlyDecision();
        assertTrue(line.contains(" ptr=- ") && line.endsWith(rule(4, "3 r ^$")), line);
    }

    @Test
    void theAccessFileDeniesClientsAndSetsTheirVariables() throws Exception {
        AccessRules access = AccessRules.parse("tcp.smtp", List.of(
                "127.0.0.6:deny",
                "127.0.0.7:allow,RELAYCLIENT=\"\"",
                "127.0.0.8:allow,SUSPECT=\"7\""));
        startProxy(ptrLookup(), access);

        try (RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.0.0.6"))) {
            assertEquals("554 5.7.1 proxy.test access denied, closing connection", c.reply());
            assertTrue(c.closedByServer());
        }
        assertEquals(0, upstream.connections.get(), "a denied client never reaches the upstream");

        assertTrue(rcptFrom("127.0.0.7").startsWith("250"), "RELAYCLIENT skips greylisting");
        assertEquals(List.of(), decisionLines(), "a skipped RCPT is logged at debug level only");

        assertTrue(rcptFrom("127.0.0.8").startsWith("451"));
        String line = onlyDecision();
        assertTrue(line.contains(" refusals-needed=7 ") && line.endsWith(rule(3, "1 v SUSPECT")),
                "the v rule sees the variable, whose value is N: " + line);
    }
}
