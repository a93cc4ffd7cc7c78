package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * The session limits through real sockets: the connection limits per client address and in all, the session
 * deadline (in the middle of a message too), and the greeting's own timeout; each refusal counted in the metrics.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SessionLimitsTest {

    @TempDir
    Path dir;

    private final ProxyMetrics metrics = new ProxyMetrics();
    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private ProxyHarness proxy;
    private MetricsEndpoint endpoint;

    @BeforeEach
    void startUpstream() throws IOException {
        endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), metrics.registry());
    }

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        endpoint.close();
    }

    private void start(RelaySettings relay, Consumer<ProxyServer.Builder> tune) {
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address(), SuspicionPolicy.NONE, relay,
                b -> tune.accept(b.events(metrics)));
    }

    private static RelaySettings relay() {
        return RelaySettings.defaults("proxy.test");
    }

    private RawClient from(String address) throws IOException {
        return new RawClient(proxy.address(), InetAddress.getByName(address));
    }

    @Test
    void aClientOverItsConnectionLimitGets421AndTheUpstreamNeverHearsOfIt() throws Exception {
        start(relay(), b -> b.connectionLimits(0, 2));
        try (RawClient first = from("127.0.0.1").hello(); RawClient second = from("127.0.0.1").hello()) {
            try (RawClient third = from("127.0.0.1")) {
                assertEquals("421 4.7.0 proxy.test Error: too many connections from 127.0.0.1, closing connection",
                        third.reply());
                assertTrue(third.closedByServer());
            }
            try (RawClient other = from("127.0.0.2")) {
                other.hello(); // the limit is per address: another client is let in
            }
            assertEquals(3, upstream.connections.get(), "the refused client cost the upstream no connection");
            first.command("QUIT", 221);
        }
        waitFor(() -> proxy.server.activeSessions() == 0, "the sessions ended");
        try (RawClient again = from("127.0.0.1")) {
            again.hello(); // a session that ended frees its place
        }
        assertEquals(1.0, metric("client"));
        assertEquals(0.0, metric("total"));
    }

    @Test
    void overTheTotalLimitEveryClientGets421() throws Exception {
        start(relay(), b -> b.connectionLimits(2, 0));
        try (RawClient first = from("127.0.0.1").hello(); RawClient second = from("127.0.0.2").hello();
             RawClient third = from("127.0.0.3")) {
            assertEquals("421 4.3.2 proxy.test Error: all server ports are busy, closing connection", third.reply());
            assertTrue(third.closedByServer());
        }
        assertEquals(2, upstream.connections.get());
        assertEquals(1.0, metric("total"));
    }

    @Test
    void aClientSendingOneByteAtATimeIsCutAtTheSessionDeadline() throws Exception {
        start(relay().withSessionDeadlineMillis(2000), b -> { });
        try (RawClient c = from("127.0.0.1").hello()) {
            long t0 = System.nanoTime();
            String reply = null;
            // Never idle: a byte every 200 ms, never a whole command, as a slow bot holds a session.
            while (reply == null && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30)) {
                c.send("N");
                Thread.sleep(200);
                c.socket().setSoTimeout(1);
                try {
                    reply = c.reply();
                } catch (java.net.SocketTimeoutException e) {
                    // nothing yet
                } finally {
                    c.socket().setSoTimeout(10_000);
                }
            }
            assertEquals("421 4.7.0 proxy.test Error: session too long, closing connection", reply);
            assertTrue(c.closedByServer());
        }
        assertEquals(1.0, metric("deadline"));
    }

    @Test
    void theDeadlineMidMessageDropsTheUpstreamSoItDiscardsThePartialMessage() throws Exception {
        start(relay().withSessionDeadlineMillis(3000), b -> { });
        pass("a@example.org", "b@example.com");
        try (RawClient c = from("127.0.0.1").hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("DATA", 354);
            c.send("Subject: slow\r\n\r\n");
            String reply = null;
            for (int i = 0; reply == null && i < 150; i++) {
                c.send("line " + i + "\r\n");
                c.socket().setSoTimeout(200);
                try {
                    reply = c.reply();
                } catch (java.net.SocketTimeoutException e) {
                    // the message goes on
                } finally {
                    c.socket().setSoTimeout(10_000);
                }
            }
            assertEquals("421 4.7.0 proxy.test Error: session too long, closing connection", reply);
        }
        waitFor(() -> upstream.abandonedMessages.get() == 1, "the upstream saw its connection end mid-message");
        assertEquals(0, upstream.messages.size(), "no part of the message was delivered");
    }

    @Test
    void anUpstreamThatNeverGreetsIsGivenUpAtTheGreetingTimeout() throws Exception {
        upstream.greetingDelayMillis = 60_000;
        start(relay().withGreetingTimeoutMillis(1000), b -> b.upstreamTimeout(Duration.ofMinutes(10)));
        try (RawClient c = from("127.0.0.1")) {
            long t0 = System.nanoTime();
            assertEquals("421 4.3.0 proxy.test service temporarily unavailable, closing connection", c.reply());
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 10,
                    "the greeting timeout, not the upstream timeout, gave up");
        }
    }

    @Test
    void aGreetingWithinItsOwnTimeoutIsWaitedForPastTheUpstreamTimeout() throws Exception {
        upstream.greetingDelayMillis = 3500;
        start(relay(), b -> b.upstreamTimeout(Duration.ofSeconds(1)));
        try (RawClient c = from("127.0.0.1")) {
            c.hello(); // the 220 came after the upstream timeout, within the greeting's 5 minutes
            c.command("QUIT", 221);
        }
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

    /** greylite_session_limit_total{limit=...}, scraped over HTTP. */
    private double metric(String limit) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String body = http.send(HttpRequest.newBuilder(URI.create(endpoint.url())).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^greylite_session_limit_total\\{limit=\"" + limit + "\"} (\\S+)$").matcher(body);
        assertTrue(m.find(), "no greylite_session_limit_total{limit=\"" + limit + "\"} in:\n" + body);
        return Double.parseDouble(m.group(1));
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
