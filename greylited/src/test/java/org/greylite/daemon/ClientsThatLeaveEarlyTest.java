package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.connect.TrustedProxies;
import org.greylite.metrics.MetricsEndpoint;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that hang up, or shut down their sending side, before the upstream has greeted them or in the middle
 * of a message: each session must end with its connection closed, so that its place under the connection limit
 * comes free. Three times the limit of such clients, one after the other, through real sockets; a client after
 * them must still be served, and nothing may be left open.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClientsThatLeaveEarlyTest {

    private static final int LIMIT = 8; // small: the test must exceed it three times over, one client at a time
    private static final int CLIENTS = 3 * LIMIT;
    /** The upstream's greeting comes this long after its connection: the clients leave before it, or about then. */
    private static final long GREETING_DELAY_MS = 150;

    @TempDir
    Path dir;

    private final ProxyMetrics metrics = new ProxyMetrics();
    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private ProxyHarness proxy;
    private MetricsEndpoint endpoint;

    @BeforeEach
    void setUp() throws IOException {
        endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), metrics.registry());
    }

    @AfterEach
    void tearDown() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        endpoint.close();
    }

    private void start(InetSocketAddress to, Consumer<ProxyServer.Builder> more) {
        start(to, RelaySettings.defaults("proxy.test"), more);
    }

    private void start(InetSocketAddress to, RelaySettings relay, Consumer<ProxyServer.Builder> more) {
        proxy = new ProxyHarness(dir.resolve("greylite.db"), to, SuspicionPolicy.NONE, relay, b -> {
            b.connectionLimits(LIMIT, 0).events(metrics);
            more.accept(b);
        });
    }

    @Test
    void clientsLeavingBeforeTheGreetingFreeTheirPlaces() throws Exception {
        start(upstream.address(), b -> { });
        leaveThenServe(null);
    }

    @Test
    void clientsLeavingDuringTheGreetingDelayFreeTheirPlaces() throws Exception {
        // The tarpit's own harvest: bots that give up before the greeting they were made to wait for.
        start(upstream.address(), RelaySettings.defaults("proxy.test").withGreetDelayMillis(GREETING_DELAY_MS), b -> { });
        leaveThenServe(null);
    }

    @Test
    void clientsBehindALoadBalancerLeavingBeforeTheGreetingFreeTheirPlaces() throws Exception {
        start(upstream.address(), b -> b.trustedProxies(TrustedProxies.parse(List.of("127.0.0.1"))));
        byte[] header = "PROXY TCP4 192.0.2.9 198.51.100.1 40000 25\r\n".getBytes(StandardCharsets.US_ASCII);
        leaveThenServe(header);
    }

    @Test
    void clientsLeavingBeforeTheGreetingOfAnUpstreamToldByAProxyHeaderFreeTheirPlaces() throws Exception {
        upstream.expectProxyHeader = true;
        start(upstream.address(), b -> b.upstreamProxyProtocol(ProxyProtocolHeader.Version.V1));
        leaveThenServe(null);
    }

    @Test
    void clientsLeavingWhileTheUpstreamIsUnreachableFreeTheirPlaces() throws Exception {
        InetSocketAddress nobody;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            nobody = new InetSocketAddress(s.getInetAddress(), s.getLocalPort());
        }
        start(nobody, b -> { });
        leaveAroundTheGreeting(null, false);
        leaveAroundTheGreeting(null, true);
        awaitNothingOpen();
        try (RawClient c = proxy.client()) {
            assertEquals("421 4.3.0 proxy.test service temporarily unavailable, closing connection", c.reply(),
                    "told the upstream is away, not that every place is taken");
        }
        awaitNothingOpen();
    }

    @Test
    void clientsLeavingInTheMiddleOfAMessageFreeTheirPlacesAndDeliverNothing() throws Exception {
        start(upstream.address(), b -> { });
        pass("a@example.org", "b@example.com");
        int before = upstream.messages.size();
        for (int i = 0; i < CLIENTS; i++) {
            RawClient c = proxy.client().hello();
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("DATA", 354);
            c.send("Subject: cut off " + i + "\r\n\r\nthe first line, and no end\r\n");
            if (i % 2 == 0) {
                c.close(); // gone for good
            } else {
                c.socket().shutdownOutput(); // says no more, and waits
                assertTrue(c.closedByServer(), "client " + i + ": its half-closed connection was closed");
                c.close();
            }
        }
        awaitNothingOpen();
        waitFor(() -> upstream.abandonedMessages.get() == CLIENTS, "the upstream saw every message cut off");
        assertEquals(before, upstream.messages.size(), "no part of any message was delivered");
        assertServedAndNothingLeftOpen(null);
    }

    /**
     * Clients that close before the greeting, then clients that half-close: after each lot, with the upstream
     * greeting at once again, a client is served and nothing is left open.
     */
    private void leaveThenServe(byte[] header) throws Exception {
        for (boolean halfClose : new boolean[] {false, true}) {
            upstream.greetingDelayMillis = GREETING_DELAY_MS;
            leaveAroundTheGreeting(header, halfClose);
            upstream.greetingDelayMillis = 0;
            assertServedAndNothingLeftOpen(header);
        }
    }

    /**
     * {@link #CLIENTS} clients one after the other, each opening with {@code header} (unless null), then leaving
     * before the greeting or about when it comes: they close their connection, or with {@code halfClose} say EHLO
     * and shut down their sending side, and must then see the connection closed.
     */
    private void leaveAroundTheGreeting(byte[] header, boolean halfClose) throws Exception {
        for (int i = 0; i < CLIENTS; i++) {
            try (RawClient c = proxy.client()) {
                if (header != null) {
                    c.send(header);
                }
                Thread.sleep((i % 4) * GREETING_DELAY_MS / 3); // 0, 50, 100, 150 ms: before and as it greets
                if (!halfClose) {
                    continue; // closed
                }
                c.send("EHLO client.example\r\n");
                c.socket().shutdownOutput();
                assertTrue(endsAfterAtMostTheGreeting(c), "client " + i + ": its half-closed connection was closed");
            }
        }
    }

    /**
     * The connection ends (EOF or reset) within the socket timeout: after nothing, after the greeting and the reply
     * to EHLO, or after the 421 of an upstream that cannot be reached.
     */
    private static boolean endsAfterAtMostTheGreeting(RawClient c) throws IOException {
        try {
            String first = c.reply();
            assertTrue(first.startsWith("220 ") || first.startsWith("421 4.3.0 "), first);
            if (first.startsWith("220 ")) {
                c.expect(250); // greeted just before the end of input was read: the EHLO is answered
            }
        } catch (SocketTimeoutException open) {
            return false; // neither a word nor the end
        } catch (IOException closed) {
            return true; // closed before any reply
        }
        return c.closedByServer();
    }

    /** Every place is free again: a new client is served, and once it has gone nothing is open. */
    private void assertServedAndNothingLeftOpen(byte[] header) throws Exception {
        awaitNothingOpen();
        try (RawClient c = proxy.client()) {
            if (header != null) {
                c.send(header);
            }
            c.hello();
            c.command("QUIT", 221);
            assertTrue(c.closedByServer());
        }
        awaitNothingOpen();
    }

    /** No client connection is open, and the metrics count no session. */
    private void awaitNothingOpen() throws Exception {
        waitFor(() -> proxy.server.activeSessions() == 0, "every client connection closed");
        assertEquals(0.0, activeSessionsMetric());
    }

    /** The session gauge, scraped over HTTP. */
    private double activeSessionsMetric() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String body = http.send(HttpRequest.newBuilder(URI.create(endpoint.url())).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^greylite_sessions_active (\\S+)$").matcher(body);
        assertTrue(m.find(), "no greylite_sessions_active in:\n" + body);
        return Double.parseDouble(m.group(1));
    }

    /** The triplet passes: refused once, then retried after the minimum delay. */
    private void pass(String from, String to) throws IOException {
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<" + from + ">", 250);
            c.command("RCPT TO:<" + to + ">", 451);
        }
        proxy.clock.advance(Duration.ofMinutes(6));
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<" + from + ">", 250);
            c.command("RCPT TO:<" + to + ">", 250);
        }
    }

    private void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what + " (client connections open: "
                        + proxy.server.activeSessions() + ")");
            }
            Thread.sleep(20);
        }
    }
}
