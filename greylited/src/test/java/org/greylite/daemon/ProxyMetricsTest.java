package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.MutableClock;
import org.greylite.connect.AccessPolicy;
import org.greylite.connect.AccessRule;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.metrics.MetricsEndpoint;
import org.greylite.relay.ExecutorRcptPolicy;
import org.greylite.relay.RcptOrder;
import org.greylite.relay.RelaySettings;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.RuleMatch;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The metrics endpoint, scraped over HTTP after known traffic through a real proxy: every counter must
 * say exactly what happened.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyMetricsTest {

    /** Recipients starting with "suspect" hit a suspicion line that sets N = 2. */
    private static final SuspicionPolicy SUSPICION = facts -> facts.recipient().startsWith("suspect")
            ? new Suspicion(2, new RuleMatch("test.suspicion", 3, "2 e r:^suspect")) : Suspicion.NONE;

    /** 127.0.0.2 is turned away by the access rules. */
    private static final AccessPolicy ACCESS = client -> client.getHostAddress().equals("127.0.0.2")
            ? Optional.of(new AccessRule("test.access", 1, "127.0.0.2:deny", false, Map.of())) : Optional.empty();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();
    private final ProxyMetrics metrics = new ProxyMetrics();
    private final ExecutorService greydb = Executors.newSingleThreadExecutor();
    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private GreylistStore store;
    private ProxyServer proxy;
    private ProxyServer proxyToNowhere;
    private Greylister greylister;
    private MetricsEndpoint endpoint;

    @BeforeEach
    void start() throws IOException {
        store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5));
        greylister = new Greylister(store, SUSPICION, GreylistSettings.defaults(), clock,
                new DecisionLog().andThen(metrics));
        proxy = server(upstream.address(), greylister);
        // Nothing listens on this port: every session of this proxy fails to connect upstream.
        InetSocketAddress closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
        proxyToNowhere = server(closed, greylister);
        endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), metrics.registry());
    }

    private ProxyServer server(InetSocketAddress to, Greylister greylister) {
        return server(to, greylister, RelaySettings.defaults("proxy.test"));
    }

    private ProxyServer server(InetSocketAddress to, Greylister greylister, RelaySettings relay) {
        return ProxyServer.builder()
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .upstream(to)
                .policy(metrics.timed(new ExecutorRcptPolicy(greylister, greydb)))
                .access(ACCESS)
                .events(metrics)
                .relaySettings(relay)
                .ioThreads(2)
                .build().start();
    }

    @AfterEach
    void stop() throws IOException {
        endpoint.close();
        proxy.stop(Duration.ZERO);
        proxyToNowhere.stop(Duration.ZERO);
        greydb.shutdownNow();
        store.close();
    }

    @Test
    void countersTellWhatHappened() throws Exception {
        // 1. First attempts: one ordinary triplet, one whose recipient hits the suspicion line (N = 2).
        try (RawClient c = new RawClient(proxy.localAddress()).hello()) {
            assertEquals(1.0, scrape().value("greylite_sessions_active"), "a session in progress");
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 451);
            c.command("RCPT TO:<suspect@example.com>", 451);
            c.command("QUIT", 221);
        }
        // 2. The retry passes; the client is then auto-whitelisted for its next recipient.
        clock.advance(Duration.ofMinutes(10));
        try (RawClient c = new RawClient(proxy.localAddress()).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("RCPT TO:<c@example.com>", 250);
            c.command("QUIT", 221);
        }
        // 3. An authenticated session is not greylisted: skipped.
        try (RawClient c = new RawClient(proxy.localAddress(), InetAddress.getByName("127.0.0.3")).hello()) {
            String plain = Base64.getEncoder().encodeToString("\0user\0secret".getBytes(StandardCharsets.UTF_8));
            c.command("AUTH PLAIN " + plain, 235);
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<d@example.com>", 250);
            c.command("QUIT", 221);
        }
        // 4. A client the access rules deny.
        try (RawClient c = new RawClient(proxy.localAddress(), InetAddress.getByName("127.0.0.2"))) {
            c.expect(554);
        }
        // 5. The upstream hangs up after the EHLO, without a word.
        upstream.dieAfterCommands = 0;
        try (RawClient c = new RawClient(proxy.localAddress())) {
            c.expect(220);
            c.send("EHLO client.example\r\n");
            c.expect(421);
        }
        // 6. The upstream cannot be reached at all.
        try (RawClient c = new RawClient(proxyToNowhere.localAddress())) {
            c.expect(421);
        }

        Scrape s = scrapeOnceQuiet();
        assertEquals(5.0, s.value("greylite_connections_total", "access", "allowed"));
        assertEquals(1.0, s.value("greylite_connections_total", "access", "denied"));
        assertEquals(5.0, s.value("greylite_sessions_total"));
        assertEquals(0.0, s.value("greylite_sessions_active"));

        assertEquals(1.0, s.rcpt("greylist", "first-attempt", "none"));
        assertEquals(1.0, s.rcpt("greylist", "first-attempt", "2"), "the suspicion N is a label when a line matched");
        assertEquals(1.0, s.rcpt("accept", "passed", "none"));
        assertEquals(1.0, s.rcpt("accept", "whitelisted", "none"));
        assertEquals(1.0, s.rcpt("accept", "skipped", "none"));
        assertEquals(5.0, s.value("greylite_decision_duration_seconds_count"), "every decision is timed");
        assertEquals(5.0, s.value("greylite_decision_duration_seconds_bucket", "le", "+Inf"));

        assertEquals(1.0, s.value("greylite_upstream_errors_total", "failure", "closed"));
        assertEquals(1.0, s.value("greylite_upstream_errors_total", "failure", "connect"));
        assertEquals(0.0, s.value("greylite_upstream_errors_total", "failure", "timeout"));
        assertEquals(0.0, s.value("greylite_store_errors_total", "operation", "decision"));

        // 7. The greydb fails: the RCPT is accepted (fail open), and the failure counted. (The clock moves past
        // the second in which the client, whitelisted in step 2, is answered from memory without the greydb.)
        upstream.dieAfterCommands = Integer.MAX_VALUE;
        clock.advance(Duration.ofSeconds(2));
        store.close();
        try (RawClient c = new RawClient(proxy.localAddress(), InetAddress.getByName("127.0.0.4")).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<e@example.com>", 250);
            c.command("QUIT", 221);
        }
        s = scrapeOnceQuiet();
        assertEquals(1.0, s.value("greylite_store_errors_total", "operation", "decision"));
        assertEquals(0.0, s.value("greylite_store_errors_total", "operation", "purge"));
        assertEquals(1.0, s.rcpt("accept", "store-error", "none"));

        // 8. greylited's scheduled purge, every second over the same broken greydb: each failure is counted, and
        // one does not end the schedule (an exception out of a scheduled task would).
        RunningEngine engine = new RunningEngine(store, SUSPICION, null, GreylistSettings.defaults(),
                new KnownSendersFiles(false, List.of(), KnownSenders.NONE), metrics, Duration.ofSeconds(1), LoggerFactory.getLogger(ProxyMetricsTest.class));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            double purges = 0;
            while (purges < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                purges = scrape().value("greylite_store_errors_total", "operation", "purge");
            }
            assertTrue(purges >= 2, "failed purges counted: " + purges);
        } finally {
            engine.close();
        }
    }

    @Test
    void aFloodOfJunkCommandsGets421AndIsCounted() throws Exception {
        try (RawClient c = new RawClient(proxy.localAddress()).hello()) {
            c.send("NOOP\r\n".repeat(150)); // one write, as a flooding bot sends it
            for (int i = 0; i < 99; i++) { // the EHLO was the first junk command of the default 100
                c.expect(250);
            }
            assertEquals("421 4.7.0 proxy.test Error: too many commands, closing connection", c.reply());
            assertTrue(c.closedByServer());
        }
        assertEquals(1.0, scrapeOnceQuiet().value("greylite_junk_command_limit_total"));
        assertEquals(100, upstream.commands.stream().filter(x -> x.startsWith("NOOP") || x.startsWith("EHLO")).count(),
                "nothing over the limit reaches the upstream");
    }

    @Test
    void upstreamRefusalsAreCountedApartFromGreylistingsRefusals() throws Exception {
        ProxyServer upstreamFirst = server(upstream.address(), greylister,
                RelaySettings.defaults("proxy.test").withRcptOrder(org.greylite.relay.RcptOrder.UPSTREAM_FIRST));
        try (RawClient c = new RawClient(upstreamFirst.localAddress()).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<reject-me@example.com>", 550);
            c.command("RCPT TO:<b@example.com>", 451);
            c.command("QUIT", 221);
        } finally {
            upstreamFirst.stop(Duration.ofSeconds(5));
        }
        Scrape s = scrapeOnceQuiet();
        assertEquals(1.0, s.value("greylite_rcpt_upstream_refused_total", "class", "5xx"));
        assertEquals(0.0, s.value("greylite_rcpt_upstream_refused_total", "class", "4xx"));
        assertEquals(1.0, s.rcpt("greylist", "first-attempt", "none"), "only the recipient the upstream accepted");
        assertEquals(1.0, s.value("greylite_decision_duration_seconds_count"), "one decision, for that recipient");
    }

    @Test
    void suspicionLabelsStayFew() {
        assertEquals("none", ProxyMetrics.suspicionLabel(org.greylite.greylist.Verdict.skipped("k")));
        RuleMatch rule = new RuleMatch("f", 1, "100 r .");
        for (int n = 0; n < 10; n++) {
            assertEquals(Integer.toString(n), ProxyMetrics.suspicionLabel(verdict(n, rule)));
        }
        assertEquals("10+", ProxyMetrics.suspicionLabel(verdict(10, rule)));
        assertEquals("10+", ProxyMetrics.suspicionLabel(verdict(100, rule)));
        assertEquals("none", ProxyMetrics.suspicionLabel(verdict(3, null)), "N without a matching line is the default");
    }

    private static org.greylite.greylist.Verdict verdict(int n, RuleMatch rule) {
        return new org.greylite.greylist.Verdict(org.greylite.greylist.Verdict.Action.GREYLIST,
                org.greylite.greylist.Verdict.Reason.FIRST_ATTEMPT, "k", 1, n, rule, 300);
    }

    /** A scrape once the sessions have all ended (their close is asynchronous to the client's). */
    /**
     * Sessions the upstream ends with the client told {@code 421 4.3.0} by refusing what the proxy had to send it: its
     * own RSET (here before a second EHLO in a transaction), or, in the upstream-first order, the envelope it had
     * accepted, sent again without a greylisted recipient. Each was logged and closed with 421, and counted nowhere:
     * an alert on greylite_upstream_errors_total stayed silent while the upstream failed session after session.
     */
    @Test
    void anUpstreamRefusingWhatTheProxySendsIsCountedAsItsFailure() throws Exception {
        upstream.refuseRset = true;
        try (RawClient c = new RawClient(proxy.localAddress()).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.send("EHLO client.example\r\n");
            assertTrue(c.expect(421).startsWith("421 4.3.0 "));
        }
        assertEquals(1.0, scrapeOnceQuiet().value("greylite_upstream_errors_total", "failure", "protocol"));

        upstream.refuseRset = false;
        upstream.refuseMailAfterRset = true;
        ProxyServer upstreamFirst = server(upstream.address(), greylister,
                RelaySettings.defaults("proxy.test").withRcptOrder(RcptOrder.UPSTREAM_FIRST));
        try {
            // suspect@ needs two refusals (N = 2) and its pass whitelists nobody: next to it, b@ is a first attempt.
            for (int attempt = 1; attempt <= 2; attempt++) {
                try (RawClient c = new RawClient(upstreamFirst.localAddress()).hello()) {
                    c.command("MAIL FROM:<a@example.org>", 250);
                    c.command("RCPT TO:<suspect@example.com>", 451);
                    c.command("QUIT", 221);
                }
                clock.advance(Duration.ofSeconds(301));
            }
            try (RawClient c = new RawClient(upstreamFirst.localAddress()).hello()) {
                c.command("MAIL FROM:<a@example.org>", 250);
                c.command("RCPT TO:<suspect@example.com>", 250);
                c.command("RCPT TO:<b@example.com>", 451);
                assertTrue(c.command("DATA", 421).startsWith("421 4.3.0 "), "the upstream refused the envelope again");
            }
        } finally {
            upstreamFirst.stop(Duration.ZERO);
        }
        assertEquals(2.0, scrapeOnceQuiet().value("greylite_upstream_errors_total", "failure", "protocol"));
    }

    private Scrape scrapeOnceQuiet() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Scrape s = scrape();
        while (s.value("greylite_sessions_active") != 0.0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            s = scrape();
        }
        return s;
    }

    private Scrape scrape() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create(endpoint.url())).timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"), r.headers().toString());
        return new Scrape(r.body());
    }

    /** One scrape in the Prometheus text format: series name and labels to value. */
    private static final class Scrape {
        private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
        private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

        private final String body;
        private final Map<String, Double> samples = new LinkedHashMap<>();

        Scrape(String body) {
            this.body = body;
            for (String line : body.split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                Matcher m = SAMPLE.matcher(line);
                assertTrue(m.matches(), "not a sample line: " + line);
                Map<String, String> labels = new java.util.TreeMap<>();
                if (m.group(3) != null) {
                    Matcher l = LABEL.matcher(m.group(3));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                }
                samples.put(m.group(1) + labels, Double.parseDouble(m.group(4)));
            }
        }

        /** The value of the series {@code name} with exactly these labels (name, value, name, value...). */
        double value(String name, String... labels) {
            Map<String, String> l = new java.util.TreeMap<>();
            for (int i = 0; i < labels.length; i += 2) {
                l.put(labels[i], labels[i + 1]);
            }
            Double v = samples.get(name + l);
            if (v == null) {
                throw new AssertionError("no series " + name + l + " in:\n" + body);
            }
            return v;
        }

        double rcpt(String verdict, String reason, String suspicion) {
            return value("greylite_rcpt_total", "verdict", verdict, "reason", reason, "suspicion", suspicion);
        }
    }
}
