package org.greylite.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.net.AddressText;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
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
 * itself is kept: content negotiation (OpenMetrics, protobuf), gzip and the {@code name[]} filter are its.
 */
public final class MetricsEndpoint implements AutoCloseable {

    /** The one path served; the README documents it, and nothing else. */
    public static final String PATH = "/metrics";

    private static final String ALLOW = "GET, HEAD";

    /** Requests read or answered at once; beyond them requests wait their turn. */
    private static final int MAX_THREADS = 32;

    static {
        // The JDK server's own limits on reading a request and writing a response (seconds), which are off unless
        // set: a client that sends half a request would hold a thread for good. Set as the Prometheus library's
        // server set them, before the first server is made (the JDK reads them once), unless given on the command line.
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", "60");
        System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", "600");
    }

    private final HttpServer server;
    private final ExecutorService threads;
    private final MetricsHandler scrape;

    private MetricsEndpoint(HttpServer server, ExecutorService threads, PrometheusRegistry registry) {
        this.server = server;
        this.threads = threads;
        this.scrape = new MetricsHandler(registry);
    }

    /**
     * Serves {@code registry} on {@code at} (port 0: any free one, see {@link #address()}).
     *
     * @throws IOException naming the address, when it cannot be had
     */
    public static MetricsEndpoint start(InetSocketAddress at, PrometheusRegistry registry) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(at, 10);
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
            scrape.handle(exchange);
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
     * The JDK server reads each request's headers on a thread of this pool, so a client that sends half a request
     * holds a thread until maxReqTime. With a fixed pool of two, two such clients (a stalled scraper, a port probe)
     * kept every scrape waiting; here threads are made as requests come, up to {@link #MAX_THREADS}, and end after
     * 30 s idle, so a scrape every 15 s keeps two or three of them alive, as before.
     */
    private static ExecutorService threads() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(MAX_THREADS, MAX_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads());
        pool.allowCoreThreadTimeOut(true);
        return pool;
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
