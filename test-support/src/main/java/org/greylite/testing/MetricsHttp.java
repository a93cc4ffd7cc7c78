package org.greylite.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A program's metrics endpoint as Prometheus and an administrator's curl see it: real HTTP requests
 * ({@code java.net.http}) to a loopback port, and what the answers must be.
 */
public final class MetricsHttp {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern FAMILY = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE);

    private MetricsHttp() {
    }

    /** {@code METHOD http://127.0.0.1:PORT/PATH}, without a body; the answer with its body as text. */
    public static HttpResponse<String> request(int port, String method, String path) {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
        try {
            return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The text a scrape of {@code /metrics} reads (it must be answered 200). */
    public static String scrape(int port) {
        HttpResponse<String> r = request(port, "GET", "/metrics");
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /**
     * GET and HEAD of {@code /metrics} are answered with the metrics (HEAD: without a body); any other path is 404
     * whatever the method; any other method at {@code /metrics} is 405 with {@code Allow: GET, HEAD}.
     */
    public static void assertServesMetricsAtTheirPathOnly(int port) {
        HttpResponse<String> get = request(port, "GET", "/metrics");
        assertEquals(200, get.statusCode(), get.body());
        assertTrue(get.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), get.headers().toString());
        assertTrue(get.body().contains("# TYPE greylite_"), get.body());
        HttpResponse<String> withQuery = request(port, "GET", "/metrics?name%5B%5D=nothing_of_that_name");
        assertEquals(200, withQuery.statusCode(), "a query (Prometheus' name[] filter) is still the metrics path");

        HttpResponse<String> head = request(port, "HEAD", "/metrics");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body(), "HEAD has no body");

        for (String path : List.of("/", "/metrics/", "/metricsx", "/metrics/x", "/metric", "/-/healthy", "/index.html",
                "//metrics", "/METRICS")) {
            for (String method : List.of("GET", "POST")) {
                HttpResponse<String> r = request(port, method, path);
                assertEquals(404, r.statusCode(), method + " " + path + " answered " + r.statusCode() + ": " + r.body());
                assertTrue(!r.body().contains("# TYPE"), method + " " + path + " must not show the metrics");
            }
        }
        assertEquals(404, request(port, "HEAD", "/").statusCode(), "HEAD /");

        for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
            HttpResponse<String> r = request(port, method, "/metrics");
            assertEquals(405, r.statusCode(), method + " /metrics answered " + r.statusCode() + ": " + r.body());
            assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse("(no Allow header)"), method + " /metrics");
            assertTrue(!r.body().contains("# TYPE"), method + " /metrics must not show the metrics");
        }
    }

    /**
     * Clients that send half a request and wait (a stalled scraper, a port probe, a slowloris: anyone who can reach
     * the port), three times as many as the endpoint once had threads, do not keep a scrape from being answered
     * within Prometheus' default scrape timeout (10 s, every request's timeout here): they held every thread of the
     * pool until the 60 s limit on reading a request, and Prometheus saw the program down.
     */
    public static void assertScrapedWhileHalfRequestsWait(int port) throws IOException, InterruptedException {
        List<Socket> halves = new ArrayList<>();
        try {
            for (int i = 0; i < 96; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                halves.add(s);
            }
            Thread.sleep(500); // the server has taken them up before the scrape comes
            assertTrue(scrape(port).contains("# TYPE greylite_"));
        } finally {
            for (Socket s : halves) {
                s.close();
            }
        }
    }

    /**
     * Asserts the value of {@code greylite_reload_failures_total} for each file label named, as the program serving
     * metrics on {@code port} has it now: each program counts a reload that kept what was loaded before by file.
     */
    public static void assertReloadFailures(int port, Map<String, Integer> byFile) {
        String body = scrape(port);
        byFile.forEach((file, count) -> assertTrue(
                body.contains("greylite_reload_failures_total{file=\"" + file + "\"} " + count + ".0\n"),
                "greylite_reload_failures_total{file=\"" + file + "\"} should be " + count + " in:\n" + body));
    }

    /** The metric families a scrape shows, by the names queries use ({@code greylite_rcpt_total}, not {@code greylite_rcpt}). */
    public static Set<String> queriedNames(String scrape) {
        Set<String> names = new TreeSet<>();
        Matcher m = FAMILY.matcher(scrape);
        while (m.find()) {
            String name = m.group(1);
            names.add(m.group(2).equals("counter") && !name.endsWith("_total") ? name + "_total" : name);
        }
        return names;
    }

    /** Every name of {@code names} is written in {@code doc} (as {@code `name`} or {@code `name{labels}`}). */
    public static void assertDocumented(Set<String> names, Path doc) {
        String text;
        try {
            text = Files.readString(doc, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> missing = new TreeSet<>();
        for (String name : names) {
            if (!Pattern.compile("`" + Pattern.quote(name) + "[`{]").matcher(text).find()) {
                missing.add(name);
            }
        }
        assertTrue(missing.isEmpty(), doc + " does not name " + missing);
    }

    /** The repository's top folder (the tests run in a module's). */
    public static Path repositoryRoot() {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("greydb.sql"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "repository root not found from " + Path.of("").toAbsolutePath());
        return root;
    }
}
