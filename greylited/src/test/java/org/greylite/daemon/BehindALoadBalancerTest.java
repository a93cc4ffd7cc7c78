package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.greylite.connect.AccessRules;
import org.greylite.testing.Dnsmasq;
import org.greylite.connect.DnswlLookup;
import org.greylite.connect.TrustedProxies;
import org.greylite.connect.PtrLookup;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.Suspicion;
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
 * {@code --accept-proxy-protocol}: greylited behind a load balancer. A raw socket plays the load balancer
 * (it connects from a loopback address on the allow list, or not) and the client behind it; a recording
 * upstream stands behind greylited, and the decision log shows which client each RCPT was decided for.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BehindALoadBalancerTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private ProxyHarness proxy;
    private int starts;

    private final Logger decisions = (Logger) LoggerFactory.getLogger("greylite.decision");
    private final Logger handler = (Logger) LoggerFactory.getLogger(ProxyHeaderHandler.class);
    private final Logger limits = (Logger) LoggerFactory.getLogger(ConnectionLimits.class);
    private final Logger relay = (Logger) LoggerFactory.getLogger(org.greylite.relay.RelaySession.class);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Level decisionsLevel;

    @BeforeEach
    void setUp() throws IOException {
        decisionsLevel = decisions.getLevel();
        decisions.setLevel(Level.INFO);
        log.start();
        decisions.addAppender(log);
        handler.addAppender(log);
        limits.addAppender(log);
        relay.addAppender(log);
    }

    @AfterEach
    void tearDown() throws IOException {
        decisions.detachAppender(log);
        handler.detachAppender(log);
        limits.detachAppender(log);
        relay.detachAppender(log);
        decisions.setLevel(decisionsLevel);
        if (proxy != null) {
            proxy.close();
        }
    }

    /** A greylited with a new greydb, trusting the PROXY headers of {@code allowList}; header timeout 1 s. */
    private void start(String allowList, Consumer<ProxyServer.Builder> more) {
        proxy = new ProxyHarness(dir.resolve("greylite-" + ++starts + ".db"), upstream.address(), f -> Suspicion.NONE,
                RelaySettings.defaults("proxy.test"), b -> {
                    b.trustedProxies(TrustedProxies.parse(List.of(allowList))).proxyHeaderTimeout(Duration.ofSeconds(1));
                    more.accept(b);
                });
    }

    private void start(String allowList) {
        start(allowList, b -> { });
    }

    private static byte[] v1(String client) {
        return ("PROXY TCP4 " + client + " 198.51.100.1 40000 25\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] v2(String client) {
        return ProxyProtocolHeader.of(ProxyProtocolHeader.Version.V2, new InetSocketAddress(client, 40000),
                new InetSocketAddress("198.51.100.1", 25));
    }

    /** v2's LOCAL command, as a load balancer's health check sends it. */
    private static byte[] v2Local() {
        byte[] h = java.util.Arrays.copyOf(ProxyProtocolHeader.V2_SIGNATURE, 16);
        h[12] = 0x20;
        return h;
    }

    /** A connection from {@code from} that opens with {@code header}. */
    private RawClient connect(String from, byte[] header) throws IOException {
        RawClient c = new RawClient(proxy.address(), InetAddress.getByName(from));
        if (header != null) {
            c.send(header);
        }
        return c;
    }

    /** One envelope after the header; returns the RCPT reply. */
    private String rcpt(String from, byte[] header) throws IOException {
        try (RawClient c = connect(from, header).hello()) {
            return c.rcptThenQuit("a@example.org", "b@example.com");
        }
    }

    private List<String> lines() {
        synchronized (log) {
            return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private String lastDecision() {
        List<String> d = lines().stream().filter(l -> l.startsWith("decision ")).toList();
        assertFalse(d.isEmpty(), "no decision logged: " + lines());
        return d.get(d.size() - 1);
    }

    private static byte[] v1Ipv6(String client) {
        return ProxyProtocolHeader.of(ProxyProtocolHeader.Version.V1, new InetSocketAddress(client, 40000),
                new InetSocketAddress("2001:db8::25", 25));
    }

    /**
     * IPv6 clients count toward the per-client limit by their /84 (Postfix 3.8's smtpd_client_ipv6_prefix_length):
     * a host holding a /64 took a session from each of its addresses, past any limit by address.
     */
    @Test
    void ipv6ClientsCountTowardTheirConnectionLimitByNetwork() throws IOException {
        start("127.0.0.1", b -> b.connectionLimits(0, 2).clientIpv6Prefix(84));
        try (RawClient first = connect("127.0.0.1", v1Ipv6("2001:db8::1")).hello();
             RawClient second = connect("127.0.0.1", v1Ipv6("2001:db8::fff:2")).hello()) {
            try (RawClient third = connect("127.0.0.1", v1Ipv6("2001:db8::3"))) {
                assertEquals("421 4.7.0 proxy.test Error: too many connections from 2001:db8::3, closing connection",
                        third.reply());
                assertTrue(third.closedByServer());
            }
            assertTrue(lines().contains("client 2001:db8::3 refused with 421: 2 sessions already open from its network "
                    + "2001:db8::/84 (--client-connection-limit, --client-connection-ipv6-prefix)"), lines().toString());
            try (RawClient otherNetwork = connect("127.0.0.1", v1Ipv6("2001:db8::1000:0:1"))) {
                otherNetwork.hello(); // differs within the first 84 bits: another network, let in
            }
            try (RawClient ipv4 = connect("127.0.0.1", v1("192.0.2.10"))) {
                ipv4.hello(); // IPv4 clients count by address
            }
            first.command("QUIT", 221);
        }
    }

    @Test
    void theHeadersClientIsTheOneGreylistedWithEitherVersion() throws IOException {
        for (String version : List.of("v1", "v2")) {
            if (proxy != null) {
                proxy.close();
                log.list.clear();
            }
            start("127.0.0.1");
            byte[] header = version.equals("v1") ? v1("192.0.2.10") : v2("192.0.2.10");
            assertTrue(rcpt("127.0.0.1", header).startsWith("451"), version);
            assertTrue(lastDecision().contains(" reason=first-attempt client=192.0.2.10 key=192.0.2.0/24 "), lastDecision());

            proxy.clock.advance(Duration.ofSeconds(301));
            assertTrue(rcpt("127.0.0.1", header).startsWith("250"), version + ": the retry is the same triplet");
            // The load balancer's own address is another client: a peer not on the list speaks for itself.
            assertTrue(rcpt("127.0.0.2", null).startsWith("451"), version);
            assertTrue(lastDecision().contains(" reason=first-attempt client=127.0.0.2 "), lastDecision());
        }
    }

    @Test
    void theAccessRulesSeeTheHeadersClient() throws IOException {
        start("127.0.0.1", b -> b.access(AccessRules.parse("tcp.smtp", List.of(
                "192.0.2.10:allow,RELAYCLIENT=\"\"",
                "192.0.2.66:deny"))));
        assertTrue(rcpt("127.0.0.1", v1("192.0.2.10")).startsWith("250"), "RELAYCLIENT for 192.0.2.10");
        try (RawClient c = connect("127.0.0.1", v2("192.0.2.66"))) {
            assertEquals("554 5.7.1 proxy.test access denied, closing connection", c.reply());
            assertTrue(c.closedByServer());
        }
        assertEquals(1, upstream.connections.get(), "only the allowed client reached the upstream");
    }

    /**
     * The IPv6 prefixes of an {@code /etc/tcp.smtp} written for the IPv6 tcpserver (Debian's ucspi-tcp-ipv6): a
     * rule's address ending with a colon covers the addresses it begins, whole groups at a time. Read as no
     * address, the deny was skipped and the network it names let in.
     */
    @Test
    void theAccessRulesTakeTheIpv6PrefixesOfTcpserversFormat() throws IOException {
        start("127.0.0.1", b -> b.access(AccessRules.parse("tcp.smtp", List.of(
                "2001:db8:2::allow,RELAYCLIENT=\"\"",
                "2001:db8:66::deny"))));
        assertTrue(rcpt("127.0.0.1", v1Ipv6("2001:db8:2::10")).startsWith("250"), "RELAYCLIENT for 2001:db8:2::/48");
        for (String denied : List.of("2001:db8:66::1", "2001:db8:66:ffff:1:2:3:4")) {
            try (RawClient c = connect("127.0.0.1", v1Ipv6(denied))) {
                assertEquals("554 5.7.1 proxy.test access denied, closing connection", c.reply(), denied);
                assertTrue(c.closedByServer());
            }
        }
        assertTrue(rcpt("127.0.0.1", v1Ipv6("2001:db8:67::1")).startsWith("451"), "no rule for 2001:db8:67::/48");
        assertEquals(2, upstream.connections.get(), "only the allowed clients reached the upstream");
    }

    @Test
    void theUpstreamIsToldTheHeadersClientAndTheAddressItReached() throws IOException {
        upstream.expectProxyHeader = true;
        start("127.0.0.1", b -> b.upstreamProxyProtocol(ProxyProtocolHeader.Version.V1));
        assertTrue(rcpt("127.0.0.1", v2("192.0.2.10")).startsWith("451"));
        assertEquals("PROXY TCP4 192.0.2.10 198.51.100.1 40000 25\r\n",
                new String(upstream.proxyHeaders.get(0), StandardCharsets.US_ASCII));
    }

    @Test
    void theHeadersClientIsLookedUpInDnsAndOnTheDnsWhitelist() throws Exception {
        // dnsmasq: 127.0.0.1 is mx.ptr.test and listed in wl.test; 127.0.0.3 has no name and is not listed.
        try (Dnsmasq dns = Dnsmasq.start()) {
            start("127.0.0.0/8", b -> b.ptrLookup(PtrLookup.create(List.of(dns.address()), Duration.ofSeconds(3))));
            assertTrue(rcpt("127.0.0.3", v1("127.0.0.1")).startsWith("451"));
            assertTrue(lastDecision().contains(" client=127.0.0.1 ") && lastDecision().contains(" ptr=mx.ptr.test "),
                    lastDecision());
            assertTrue(rcpt("127.0.0.1", v1("127.0.0.3")).startsWith("451"));
            assertTrue(lastDecision().contains(" client=127.0.0.3 ") && lastDecision().contains(" ptr=- "), lastDecision());

            proxy.close();
            DnswlLookup wl = DnswlLookup.create(List.of(DnswlLookup.Zone.parse("wl.test=1")), List.of(dns.address()),
                    Duration.ofSeconds(3));
            start("127.0.0.0/8", b -> b.dnswl(wl));
            assertTrue(rcpt("127.0.0.3", v2("127.0.0.1")).startsWith("250"), "127.0.0.1 is on the DNS whitelist");
            assertTrue(rcpt("127.0.0.1", v2("127.0.0.3")).startsWith("451"), "127.0.0.3 is not");
        }
    }

    @Test
    void v2LocalAndV1UnknownLeaveThePeerAsTheClient() throws IOException {
        start("127.0.0.0/8");
        assertTrue(rcpt("127.0.0.4", v2Local()).startsWith("451"));
        assertTrue(lastDecision().contains(" client=127.0.0.4 "), lastDecision());
        assertTrue(rcpt("127.0.0.5", "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII)).startsWith("451"));
        assertTrue(lastDecision().contains(" client=127.0.0.5 "), lastDecision());
    }

    @Test
    void theClientsBytesThatCameWithTheHeaderAreItsFirstInput() throws IOException {
        start("127.0.0.1");
        byte[] header = v1("192.0.2.10");
        byte[] ehlo = "EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] both = java.util.Arrays.copyOf(header, header.length + ehlo.length);
        System.arraycopy(ehlo, 0, both, header.length, ehlo.length);
        try (RawClient c = connect("127.0.0.1", both)) {
            c.expect(220);
            c.expect(250);
            c.command("QUIT", 221);
        }
        assertTrue(upstream.sawCommandStartingWith("EHLO client.example"), upstream.commands.toString());
    }

    @Test
    void aTrustedPeerWithoutAGoodHeaderIsClosedWithoutAWord() throws IOException {
        List<String> refusals = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        start("127.0.0.1", b -> b.events(new ServerEvents() {
            @Override
            public void proxyHeaderRefused(String reason) {
                refusals.add(reason);
            }
        }));
        try (RawClient c = connect("127.0.0.1", "EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII))) {
            assertTrue(c.closedByServer(), "no greeting, no reply: closed at once");
        }
        try (RawClient c = connect("127.0.0.1", "PROXY TCP4 192.0.2.10 198.51.100.1 40000\r\n".getBytes(StandardCharsets.US_ASCII))) {
            assertTrue(c.closedByServer(), "a field missing");
        }
        try (RawClient c = connect("127.0.0.1", "PROXY TCP4 192.0.2.10".getBytes(StandardCharsets.US_ASCII))) {
            assertTrue(c.closedByServer(), "a header that never ends: closed at the header timeout");
        }
        try (RawClient c = connect("127.0.0.1", null)) {
            assertTrue(c.closedByServer(), "no header at all: closed at the header timeout");
        }
        assertEquals(0, upstream.connections.get(), "no upstream connection for any of them");
        assertEquals(List.of("malformed", "malformed", "timeout", "timeout"), refusals, "each counted (a metric)");
        List<String> l = lines();
        assertTrue(l.stream().anyMatch(s -> s.startsWith("load balancer 127.0.0.1: bad PROXY header, connection closed: "
                + "does not begin with a PROXY header")), l.toString());
        assertTrue(l.stream().anyMatch(s -> s.contains("v1 TCP4 line wants 4 fields")), l.toString());
        assertTrue(l.stream().anyMatch(s -> s.startsWith("load balancer 127.0.0.1: no complete PROXY header within 1000 ms "
                + "(21 bytes came)")), l.toString());
    }

    @Test
    void anUntrustedPeersProxyLineIsRefusedAndItIsItsOwnClient() throws IOException {
        start("10.0.0.0/8");
        try (RawClient c = connect("127.0.0.1", v1("192.0.2.10"))) {
            c.expect(220);
            assertEquals("550 5.7.1 PROXY is not accepted from clients", c.reply());
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<a@example.org>", 250);
            c.send("RCPT TO:<b@example.com>\r\n");
            assertTrue(c.reply().startsWith("451"));
        }
        assertTrue(lastDecision().contains(" client=127.0.0.1 "), lastDecision());
        assertFalse(upstream.sawCommandStartingWith("PROXY"), upstream.commands.toString());
    }

    @Test
    void anUntrustedPeersProxyV2HeaderIsRefusedAndTheSessionClosed() throws IOException {
        // Read as lines, the signature is two empty lines, a NUL and QUIT: the upstream was sent QUIT and answered it.
        start("10.0.0.0/8");
        try (RawClient c = connect("127.0.0.1", v2("192.0.2.10"))) {
            c.expect(220);
            assertEquals("550 5.7.1 PROXY is not accepted from clients", c.reply());
            assertTrue(c.closedByServer(), "what follows the signature is binary: no command can be read from it");
        }
        assertFalse(upstream.sawCommandStartingWith("QUIT"), upstream.commands.toString());
        assertTrue(lines().stream().anyMatch(s -> s.startsWith("client 127.0.0.1 sent a PROXY protocol v2 header")),
                lines().toString());
    }

    @Test
    void theIdleTimeoutRunsOnceTheHeaderIsIn() throws IOException {
        start("127.0.0.1", b -> b.idleTimeout(Duration.ofSeconds(1)));
        try (RawClient c = connect("127.0.0.1", v1("192.0.2.10"))) {
            c.expect(220);
            assertTrue(c.reply().startsWith("421 4.4.2"), "a client silent after the header is dropped as usual");
        }
    }

    @Test
    void theFlagTrustsTheListedPeersOnly() throws Exception {
        try (GreylitedProcess d = GreylitedProcess.start(dir, upstream.address(), "--accept-proxy-protocol", "127.0.0.1")) {
            try (RawClient c = new RawClient(d.address(), InetAddress.getByName("127.0.0.1")).send(v1("192.0.2.10")).hello()) {
                c.command("MAIL FROM:<a@example.org>", 250);
                c.send("RCPT TO:<b@example.com>\r\n");
                assertTrue(c.reply().startsWith("451"));
            }
            try (RawClient c = new RawClient(d.address(), InetAddress.getByName("127.0.0.2")).send(v1("192.0.2.10"))) {
                c.expect(220); // not on the list: its header is client input, a command clients may not send
                assertEquals("550 5.7.1 PROXY is not accepted from clients", c.reply());
                c.command("EHLO client.example", 250);
                c.command("MAIL FROM:<a@example.org>", 250);
                c.send("RCPT TO:<b@example.com>\r\n");
                assertTrue(c.reply().startsWith("451"));
            }
            ProxyEndToEndTest.waitFor(() -> d.logged("reason=first-attempt client=127.0.0.2 "), "the second decision: " + d.log);
            assertTrue(d.logged("PROXY protocol header required from 127.0.0.1;"), d.log.toString());
            assertTrue(d.logged("decision verdict=greylist reason=first-attempt client=192.0.2.10 key=192.0.2.0/24 "),
                    d.log.toString());
        }
    }
}
