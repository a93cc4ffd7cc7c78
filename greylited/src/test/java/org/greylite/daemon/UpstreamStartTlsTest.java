package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.greylite.daemon.tls.TestCertificates;
import org.greylite.daemon.tls.TlsContexts;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.internal.proxy.ProxyProtocolV1Handler;
import org.subethamail.smtp.server.SMTPServer;

/**
 * {@code --upstream-tls starttls} against a SubEthaSMTP upstream that requires TLS: it refuses MAIL on a session
 * not under TLS, so a delivered message proves the upstream saw the session encrypted.
 */
class UpstreamStartTlsTest {

    /** What the upstream received: the remote address it saw, and the message. */
    private record Delivery(String remote, byte[] data) {
    }

    @TempDir
    Path dir;

    TestCertificates.Pem upstreamCert;
    final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    SMTPServer upstream;
    ProxyHarness proxy;

    @BeforeEach
    void certificate() throws Exception {
        upstreamCert = TestCertificates.rsa(dir, "upstream");
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    /** A SubEthaSMTP upstream that offers STARTTLS with its certificate and accepts mail only under TLS. */
    private InetSocketAddress startUpstream(boolean proxyProtocol) {
        SMTPServer.Builder b = SMTPServer.port(0)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("upstream.test")
                .insertReceivedHeaders(false)
                .enableTLS()
                .requireTLS()
                .startTlsSocketFactory(TlsContexts.server(upstreamCert.cert(), upstreamCert.key()).context())
                .messageHandler((context, from, to, data) -> deliveries.add(
                        new Delivery(((InetSocketAddress) context.getRemoteAddress()).getAddress().getHostAddress(), data)));
        if (proxyProtocol) {
            b.proxyHandler(ProxyProtocolV1Handler.INSTANCE);
        }
        upstream = b.build();
        upstream.start();
        return new InetSocketAddress("127.0.0.1", upstream.getPortAllocated());
    }

    private void startProxy(InetSocketAddress to, Consumer<ProxyServer.Builder> tune) {
        proxy = new ProxyHarness(dir.resolve("greylite.db"), to, SuspicionPolicy.NONE, RelaySettings.defaults("proxy.test"),
                tune);
    }

    /** Greylisted once, then delivered after the delay: returns the RCPT reply of the first attempt. */
    private void greylistedThenDelivered(RawClient first, java.util.function.Supplier<RawClient> again, byte[] body)
            throws IOException {
        try (RawClient c = first) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 451);
            c.command("QUIT", 221);
        }
        proxy.clock.advance(Duration.ofMinutes(10));
        try (RawClient c = again.get()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("DATA", 354);
            c.send(body);
            c.expect(250);
            c.command("QUIT", 221);
        }
    }

    private RawClient client(InetAddress from) {
        try {
            return new RawClient(proxy.address(), from);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] message(String subject) {
        return ("Subject: " + subject + "\r\n\r\nover TLS to the upstream\r\n.\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    /** SubEthaSMTP hands the message over without the terminator and with dot-stuffing undone. */
    private static byte[] asDelivered(byte[] sent) {
        String s = new String(sent, StandardCharsets.ISO_8859_1);
        return s.substring(0, s.length() - 3).getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void withoutUpstreamTlsTheUpstreamRefusesTheMail() throws IOException {
        startProxy(startUpstream(false), b -> { });
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 530); // the control: this upstream wants TLS first
        }
    }

    @Test
    void theSessionReachesTheUpstreamUnderTls() throws IOException {
        InetSocketAddress to = startUpstream(false);
        startProxy(to, b -> b.upstreamTls(TlsContexts.upstream(null)));
        byte[] body = message("encrypted upstream");
        greylistedThenDelivered(client(null), () -> client(null), body);
        assertEquals(1, deliveries.size());
        assertArrayEquals(asDelivered(body), deliveries.get(0).data());
    }

    @Test
    void theGreetingTheClientGetsIsTheUpstreams() throws IOException {
        startProxy(startUpstream(false), b -> b.upstreamTls(TlsContexts.upstream(null)));
        try (RawClient c = proxy.client()) {
            assertTrue(c.expect(220).startsWith("220 upstream.test ESMTP"));
            String ehlo = c.command("EHLO client.example", 250);
            assertFalse(ehlo.contains("STARTTLS"), "the upstream no longer offers it, and the proxy has no certificate");
        }
    }

    @Test
    void withACaFileTheUpstreamsCertificateIsChecked() throws Exception {
        InetSocketAddress to = startUpstream(false);
        startProxy(to, b -> b.upstreamTls(TlsContexts.upstream(upstreamCert.cert())));
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
        }
        proxy.close();
        TestCertificates.Pem stranger = TestCertificates.rsa(dir, "stranger");
        startProxy(to, b -> b.upstreamTls(TlsContexts.upstream(stranger.cert())));
        try (RawClient c = proxy.client()) {
            assertTrue(c.expect(421).startsWith("421 4.3.0 proxy.test"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void theProxyProtocolHeaderStillGoesFirst() throws IOException {
        InetSocketAddress to = startUpstream(true);
        startProxy(to, b -> b.upstreamTls(TlsContexts.upstream(null)).upstreamProxyProtocol(ProxyProtocolHeader.Version.V1));
        InetAddress from = InetAddress.getByName("127.0.0.5");
        greylistedThenDelivered(client(from), () -> client(from), message("behind a PROXY header"));
        assertEquals(1, deliveries.size());
        assertEquals("127.0.0.5", deliveries.get(0).remote(), "the upstream read the PROXY header before TLS");
    }

    @Test
    void anUpstreamWithoutStartTlsGetsTheClient421() throws IOException {
        try (ScriptedUpstream plain = new ScriptedUpstream()) {
            plain.extensions = "PIPELINING\r\n250 8BITMIME";
            startProxy(plain.address(), b -> b.upstreamTls(TlsContexts.upstream(null)));
            try (RawClient c = proxy.client()) {
                assertEquals("421 4.3.0 proxy.test service temporarily unavailable, closing connection", c.reply());
                assertTrue(c.closedByServer());
            }
            assertEquals(List.of("EHLO proxy.test"), plain.commands, "no client command reached it in clear");
        }
    }

    @Test
    void anUpstreamRefusingStartTlsGetsTheClient421() throws IOException {
        try (ScriptedUpstream refusing = new ScriptedUpstream()) { // offers STARTTLS, answers it 500
            startProxy(refusing.address(), b -> b.upstreamTls(TlsContexts.upstream(null)));
            try (RawClient c = proxy.client()) {
                c.expect(421);
            }
            assertEquals(List.of("EHLO proxy.test", "STARTTLS"), refusing.commands);
        }
    }
}
