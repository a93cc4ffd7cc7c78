package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.PostfixPerClass;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylited in front of a real Postfix, which must see the real client, not the proxy: with XCLIENT, and with
 * the PROXY protocol. Postfix refuses mail from 127.0.0.2 at RCPT (a client access rule); the test clients
 * connect to greylited from 127.0.0.2 or 127.1.0.3 while greylited connects to Postfix from 127.0.0.1, so
 * only a Postfix told the real address refuses the first and takes the second.
 */
class UpstreamPostfixTest {

    private static final InetAddress REFUSED = address("127.0.0.2");
    // Another /24: the smart client key groups a /24 without a PTR name, and the auto-whitelist would pass it at once.
    private static final InetAddress ACCEPTED = address("127.1.0.3");

    @TempDir
    static Path dir;

    @RegisterExtension
    static final PostfixPerClass postfix = new PostfixPerClass(p -> p
            .main("smtpd_authorized_xclient_hosts", "127.0.0.1")
            // A dual-stack Postfix: one with inet_protocols = ipv4 refuses XCLIENT's IPv6 ADDR ("501 5.5.4 Bad
            // ADDR syntax: IPV6:::1") and a PROXY TCP6 header, and sees the proxy instead.
            .main("inet_protocols", "all")
            .main("smtpd_client_restrictions", "check_client_access cidr:$config_directory/clients.cidr")
            .file("clients.cidr", "127.0.0.2 REJECT real client 127.0.0.2 seen\n[::1] REJECT real client ::1 seen\n")
            .listener("plain")
            .listener("proxy", "smtpd_upstream_proxy_protocol=haproxy"));

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ProxyHarness proxy(String name, String listener, Consumer<ProxyServer.Builder> tune) {
        return new ProxyHarness(dir.resolve(name + ".db"), postfix.server().address(listener), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test"), tune);
    }

    /** One delivery attempt from {@code from}; returns the RCPT reply and finishes the message when it is accepted. */
    private static String attempt(ProxyHarness proxy, InetAddress from, String rcpt) throws IOException {
        return attempt(proxy, from, null, rcpt);
    }

    /** The same, the client first greeting with {@code bareGreeting} (HELO or EHLO without a name), if not null. */
    private static String attempt(ProxyHarness proxy, InetAddress from, String bareGreeting, String rcpt)
            throws IOException {
        try (RawClient c = new RawClient(proxy.address(), from)) {
            c.expect(220);
            if (bareGreeting != null) {
                assertEquals("501 Syntax: " + bareGreeting + " hostname", c.command(bareGreeting, 501),
                        "Postfix's own answer");
            }
            String ehlo = c.command("EHLO sender.example", 250);
            assertFalse(ehlo.contains("XCLIENT"), "the client never sees XCLIENT offered: " + ehlo);
            c.command("MAIL FROM:<someone@sender.example>", 250);
            c.send("RCPT TO:<" + rcpt + ">\r\n");
            String reply = c.reply();
            if (reply.startsWith("250")) {
                c.command("DATA", 354);
                c.command("Subject: through greylited\r\n\r\nHello.\r\n.", 250);
            }
            c.command("QUIT", 221);
            return reply;
        }
    }

    /** The first attempt is greylisted by the proxy; the retry after the delay is Postfix's to answer. */
    private static String afterGreylisting(ProxyHarness proxy, InetAddress from, String rcpt) throws IOException {
        String first = attempt(proxy, from, rcpt);
        assertTrue(first.startsWith("451 4.7.1"), "greylisted first: " + first);
        proxy.clock.advance(Duration.ofSeconds(301));
        return attempt(proxy, from, rcpt);
    }

    @Test
    void withXclientPostfixSeesTheRealClient() throws Exception {
        try (ProxyHarness proxy = proxy("xclient", "plain", b -> b.upstreamXclient(true))) {
            String refused = afterGreylisting(proxy, REFUSED, "a@example.net");
            assertTrue(refused.startsWith("554") && refused.contains("real client 127.0.0.2 seen"), refused);
            assertTrue(afterGreylisting(proxy, ACCEPTED, "b@example.net").startsWith("250"));
        }
        postfix.server().awaitLog("client=unknown[127.1.0.3]");
        assertTrue(postfix.server().log().contains("from unknown[127.0.0.2]: 554 5.7.1")
                && postfix.server().log().contains("helo=<sender.example>"), "Postfix logged the client and its HELO: " + postfix.server().log());
    }

    @Test
    void aClientGreetingWithoutANameGetsPostfixsAnswerAndIsIntroducedAllTheSame() throws Exception {
        for (String bare : new String[] {"HELO", "EHLO"}) {
            try (ProxyHarness proxy = proxy("xclient-bare-" + bare, "plain", b -> b.upstreamXclient(true))) {
                String rcpt = bare.toLowerCase(java.util.Locale.ROOT) + "@example.net";
                assertTrue(attempt(proxy, REFUSED, bare, rcpt).startsWith("451 4.7.1"), "greylisted first");
                proxy.clock.advance(Duration.ofSeconds(301));
                String refused = attempt(proxy, REFUSED, bare, rcpt);
                assertTrue(refused.startsWith("554") && refused.contains("real client 127.0.0.2 seen"),
                        "after a bare " + bare + ", Postfix was told the real client: " + refused);
            }
        }
    }

    @Test
    void withoutXclientPostfixSeesTheProxy() throws Exception {
        try (ProxyHarness proxy = proxy("plain", "plain", b -> { })) {
            assertTrue(afterGreylisting(proxy, REFUSED, "c@example.net").startsWith("250"),
                    "the client rule cannot apply: Postfix sees 127.0.0.1");
        }
    }

    @Test
    void withTheProxyProtocolPostfixSeesTheRealClient() throws Exception {
        for (ProxyProtocolHeader.Version v : new ProxyProtocolHeader.Version[] {ProxyProtocolHeader.Version.V1,
            ProxyProtocolHeader.Version.V2}) {
            try (ProxyHarness proxy = proxy("proxy-" + v, "proxy", b -> b.upstreamProxyProtocol(v))) {
                String refused = afterGreylisting(proxy, REFUSED, "d@example.net");
                assertTrue(refused.startsWith("554") && refused.contains("real client 127.0.0.2 seen"), v + ": " + refused);
                assertEquals(250, Integer.parseInt(afterGreylisting(proxy, ACCEPTED, "e@example.net").substring(0, 3)),
                        v.toString());
            }
        }
    }

    /** greylited on {@code [::1]}: Postfix is told the IPv6 client as it writes one, {@code IPV6:::1}, {@code TCP6}. */
    @Test
    void anIpv6ClientIsToldToPostfixToo() throws Exception {
        Assumptions.assumeTrue(ipv6() || "true".equals(System.getenv("CI")), "no IPv6 loopback here");
        try (ProxyHarness proxy = proxy("xclient6", "plain", b -> b.upstreamXclient(true)
                .listen(new InetSocketAddress("::1", 0)))) {
            String refused = afterGreylisting(proxy, address("::1"), "f@example.net");
            assertTrue(refused.startsWith("554") && refused.contains("real client ::1 seen"), refused);
        }
        for (ProxyProtocolHeader.Version v : new ProxyProtocolHeader.Version[] {ProxyProtocolHeader.Version.V1,
            ProxyProtocolHeader.Version.V2}) {
            try (ProxyHarness proxy = proxy("proxy6-" + v, "proxy", b -> b.upstreamProxyProtocol(v)
                    .listen(new InetSocketAddress("::1", 0)))) {
                String refused = afterGreylisting(proxy, address("::1"), "g" + v + "@example.net");
                assertTrue(refused.startsWith("554") && refused.contains("real client ::1 seen"), v + ": " + refused);
            }
        }
    }

    private static boolean ipv6() {
        try (ServerSocket s = new ServerSocket(0, 1, address("::1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
