package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.connect.PtrLookup;
import org.greylite.testing.Dnsmasq;
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
 * {@code --dnswl} and {@code --dns}: the client is looked up on the DNS whitelists through a real DNS server
 * (dnsmasq on loopback, whose zone {@code wl.test} lists 127.0.0.1 at trust level 2 and nothing else), over the
 * real policy protocol; a listed client skips greylisting at its first attempt as in greylited.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyDnswlTest {

    @RegisterExtension
    static final DnsmasqPerClass dns = new DnsmasqPerClass();

    @TempDir
    Path dir;

    private RunningPolicy policy;
    private Logger decisionLog;
    private ListAppender<ILoggingEvent> decisions;

    @AfterEach
    void stop() {
        if (policy != null) {
            policy.close();
        }
        if (decisionLog != null) {
            decisionLog.detachAppender(decisions);
            decisionLog.setLevel(null);
        }
    }

    /** The service, its decision log captured at debug level, where skipped RCPTs are (greylited's; -v shows them). */
    private PolicyClient start(Map<String, String> env, String... flags) throws Exception {
        decisionLog = (Logger) LoggerFactory.getLogger("greylite.decision");
        decisionLog.setLevel(Level.DEBUG);
        decisions = new ListAppender<>();
        decisions.start();
        decisionLog.addAppender(decisions);
        policy = TestPolicy.start(dir, env, flags);
        return PolicyClient.tcp(policy.tcpAddress());
    }

    private String dnsFlag() {
        return "--dns=127.0.0.1:" + dns.address().getPort();
    }

    @Test
    void aListedClientPassesItsFirstAttemptAndAnUnlistedOneIsGreylisted() throws Exception {
        try (PolicyClient c = start(Map.of(), "--dnswl=wl.test=2", dnsFlag(), "--metrics=127.0.0.1:0")) {
            // The first lookup is not cached: the decision waits for dnsmasq's answer and resumes on the I/O thread.
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("127.0.0.1", "a@example.net", "b@example.org")));
            // Cached now: decided at once, same answer.
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("127.0.0.1", "a@example.net", "c@example.org")));
            assertEquals(PolicyProtocolTest.GREYLISTED_301,
                    c.ask(PolicyClient.rcpt("127.0.0.9", "a@example.net", "b@example.org")));
        }
        String log = TestPolicy.lines(decisions);
        assertTrue(log.contains("decision verdict=accept reason=skipped(dnswl:wl.test) client=127.0.0.1 "), log);
        assertTrue(log.contains("decision verdict=greylist reason=first-attempt client=127.0.0.9 "), log);
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + policy.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("greylite_rcpt_total{reason=\"skipped\",verdict=\"accept\"} 2.0"), metrics);
        assertTrue(metrics.contains("greylite_rcpt_total{reason=\"first-attempt\",verdict=\"greylist\"} 1.0"), metrics);
    }

    @Test
    void aListingBelowTheThresholdIsNoneAndTheResolverComesFromDnscacheip() throws Exception {
        Map<String, String> env = Map.of("DNSCACHEIP", "127.0.0.1:" + dns.address().getPort());
        try (PolicyClient c = start(env, "--dnswl=wl.test=3")) {
            assertEquals(PolicyProtocolTest.GREYLISTED_301,
                    c.ask(PolicyClient.rcpt("127.0.0.1", "a@example.net", "b@example.org")), "trust 2 is below 3");
        }
        policy.close();
        policy = null;
        try (PolicyClient c = start(env, "--dnswl=wl.test=2")) {
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("127.0.0.1", "a@example.net", "fresh@example.org")),
                    "listed through the resolver of DNSCACHEIP");
        }
    }

    @Test
    void aDnsServerThatNeverAnswersIsNoListingAndTheOtherConnectionsAreServedMeanwhile() throws Exception {
        try (DatagramSocket hole = Dnsmasq.blackHole();
             PolicyClient waiting = start(Map.of(), "--dnswl=wl.test", "--dns=127.0.0.1:" + hole.getLocalPort());
             PolicyClient other = PolicyClient.tcp(policy.tcpAddress())) {
            waiting.send(PolicyClient.request(PolicyClient.rcpt("127.0.0.1", "a@example.net", "b@example.org")));
            // Its lookup is in flight once the query reaches the silent server: the other request comes after that,
            // not in the same turn of the I/O loop (the time-out guards against a hang only).
            hole.setSoTimeout(30_000);
            hole.receive(new DatagramPacket(new byte[512], 512));
            Map<String, String> connect = new java.util.LinkedHashMap<>(PolicyClient.rcpt("127.0.0.1", "", ""));
            connect.put("protocol_state", "CONNECT");
            // The I/O thread is not held by the lookup in flight: the other connection is answered while the first
            // still waits, as it must until the lookup's timeout. An I/O thread that waited for the lookup would
            // have written the first connection's answer before it read the other's request.
            assertEquals("DUNNO", other.ask(connect));
            assertFalse(waiting.hasInput(), "the waiting connection was answered first: the I/O thread waited for its lookup");
            long asked = System.nanoTime();
            assertEquals(PolicyProtocolTest.GREYLISTED_301, waiting.readAnswer(), "no answer is no listing");
            long waited = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - asked);
            assertTrue(waited < PtrLookup.DEFAULT_TIMEOUT.getSeconds() + 20, "bounded by the lookup's timeout: " + waited);
        }
    }

    @Test
    void aBadZoneOrResolverStopsTheStartNamingTheFlag() {
        IllegalArgumentException zone = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> start(Map.of(), "--dnswl=wl.test=high"));
        assertTrue(zone.getMessage().contains("--dnswl"), zone.getMessage());
        IllegalArgumentException resolver = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> start(Map.of("DNSCACHEIP", "dns.example"), "--dnswl=wl.test"));
        assertTrue(resolver.getMessage().startsWith("DNSCACHEIP wants an IP address"), resolver.getMessage());
    }
}
