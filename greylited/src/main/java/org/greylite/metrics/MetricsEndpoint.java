package org.greylite.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.net.AddressText;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The metrics endpoint of greylited, greylite-policy and greydaemon: Prometheus' text format at
 * {@code GET http://HOST:PORT/metrics} (and {@code HEAD}), on the JDK's HTTP server with daemon threads of its
 * own (made as requests come, see {@link #threads()}), apart from the SMTP, policy and UDP threads. Every other path
 * is answered 404, every other method 405 with {@code Allow: GET, HEAD}.
 *
 * <p>The Prometheus library's own server was used before: it answered 200 to every path and method (its page of
 * help at {@code /} and at any path it did not know, the metrics at any path beginning with {@code /metrics}), so a
 * scrape configured with a wrong path, or a probe, looked healthy and read no metrics. Its handler for the scrape
 * itself is kept: content negotiation (OpenMetrics, protobuf), gzip and the {@code name[]} filter are its; its failures
 * are told by {@link ScrapeExchange}.
 */
public final class MetricsEndpoint implements AutoCloseable {

    /** The one path served; the README documents it, and nothing else. */
    public static final String PATH = "/metrics";

    private static final String ALLOW = "GET, HEAD";

    /**
     * Connections open at once, and so threads at most (one per connection reading or answering a request): more
     * than any number of scrapers, and a bound on what clients that never finish a request can hold.
     */
    private static final int MAX_CONNECTIONS = 256;

    static {
        // The JDK server's own limits, read once by the JDK when the first server is made, unless given on the
        // command line (-D). A request must arrive whole within 10 s (a connection that sends nothing is closed within
        // some 20 s): Prometheus' default scrape timeout, past which no scrape can succeed anyway; the 60 s the
        // Prometheus library's server allowed let a few clients that send half a request hold the endpoint for a
        // minute at a time. An answer of some tens of KiB must be read within 60 s. Past MAX_CONNECTIONS, a new
        // connection is closed at once; a scraper's kept-alive connection is served still.
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", "10");
        System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", "60");
        System.getProperties().putIfAbsent("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
    }

    /**
     * Connections the kernel completes before the JDK server takes them up. The JDK server takes one per turn of its
     * loop; with the 10 asked for before, a burst of clients filled the queue and a scrape's connection was dropped
     * and tried again a second or more later.
     */
    private static final int ACCEPT_BACKLOG = 128;

    private final HttpServer server;
    private final ExecutorService threads;
    private final PrometheusScrapeHandler scrape;

    private MetricsEndpoint(HttpServer server, ExecutorService threads, PrometheusRegistry registry) {
        this.server = server;
        this.threads = threads;
        this.scrape = new PrometheusScrapeHandler(registry);
    }

    /**
     * Serves {@code registry} on {@code at} (port 0: any free one, see {@link #address()}).
     *
     * @throws IOException naming the address, when it cannot be had
     */
    public static MetricsEndpoint start(InetSocketAddress at, PrometheusRegistry registry) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(at, ACCEPT_BACKLOG);
        } catch (IOException e) {
            throw new IOException("cannot serve metrics on " + hostPort(at) + ": " + e.getMessage(), e);
        }
        ExecutorService threads = threads();
        MetricsEndpoint endpoint = new MetricsEndpoint(server, threads, registry);
        // One context for every path, so that the paths not served are answered here, not by the JDK's prefix match.
        server.createContext("/", endpoint::handle);
        server.setExecutor(threads);
        server.start();
        return endpoint;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            drain(exchange.getRequestBody());
            if (!PATH.equals(exchange.getRequestURI().getRawPath())) {
                answer(exchange, 404, "404 not found: the metrics are at " + PATH + "\n");
                return;
            }
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", ALLOW);
                answer(exchange, 405, "405 method not allowed: " + ALLOW + "\n");
                return;
            }
            scrape.handleRequest(new ScrapeExchange(exchange));
        } finally {
            exchange.close();
        }
    }

    /** A short plain-text answer; none to HEAD, which gets the status and headers alone. */
    private static void answer(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** Reads what the client sent with its request, so that the connection can serve the next one. */
    private static void drain(InputStream body) throws IOException {
        byte[] buffer = new byte[4096];
        while (body.read(buffer) >= 0) {
            // discarded: no request to this endpoint has a body worth reading
        }
    }

    /**
     * The JDK server reads each request's headers on a thread of this pool, blocking, so a client that sends half a
     * request holds a thread until maxReqTime. With a fixed pool (two threads, later 32) and a queue behind it, that
     * many such clients kept every scrape queued, and the scrape's own time limit ran out while it waited. Here each
     * request has a thread of its own, made when it comes (no queue), so a complete request never waits behind an
     * incomplete one; there are no more threads than connections, which the JDK server bounds. Threads end after 30 s
     * idle, so a scrape every 15 s keeps one or two alive.
     */
    private static ExecutorService threads() {
        int connections = Integer.getInteger("jdk.httpserver.maxConnections", 0);
        return new ThreadPoolExecutor(0, connections > 0 ? connections : Integer.MAX_VALUE,
                30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemonThreads());
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "metrics-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The address bound (its port is known here when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** The port bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Where the metrics are, for the log line that says so. */
    public String url() {
        return "http://" + hostPort(address()) + PATH;
    }

    private static String hostPort(InetSocketAddress a) {
        return AddressText.withPort(a);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdown();
    }
}
