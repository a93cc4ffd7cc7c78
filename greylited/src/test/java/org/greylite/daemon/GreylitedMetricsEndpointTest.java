package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.MetricsHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics endpoint of a started greylited process, over real HTTP: the metrics at {@code /metrics} alone, every
 * documented series there from the start (at 0, before any client came), and each family named in the docs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GreylitedMetricsEndpointTest {

    private static final Pattern PORT = Pattern.compile("metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics");

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private GreylitedProcess greylited;

    @AfterEach
    void cleanUp() throws Exception {
        if (greylited != null) {
            greylited.close();
        }
    }

    private int start() throws Exception {
        return start(GreylitedProcess.command(upstream.address()));
    }

    /** Starts {@code command} with a greydb in the test's folder and the metrics on a free port; returns the port. */
    private int start(GreylitedProcess.Command command) throws Exception {
        greylited = command.db(dir.resolve("greylite.db")).args("--metrics", "127.0.0.1:0").start();
        Matcher m = PORT.matcher(greylited.awaitLine("metrics on http://", Duration.ofSeconds(5)));
        assertTrue(m.find(), greylited.log.toString());
        return Integer.parseInt(m.group(1));
    }

    @Test
    void onlyGetAndHeadOfTheMetricsPathAreAnswered() throws Exception {
        MetricsHttp.assertServesMetricsAtTheirPathOnly(start());
    }

    /**
     * A HEAD that offers gzip (curl -I --compressed, a probe) gets the headers a GET gets, and the log nothing: the
     * Prometheus library's handler answered it as a GET with a body of unknown length, and the JDK's server wrote a
     * WARNING about it in java.util.logging's two lines of its own format (at any log threshold, as often as anyone
     * asked), then refused the body, which left the library's handler a failure to log.
     */
    @Test
    void aHeadThatOffersGzipLogsNothingAndTheConnectionServesTheNextRequest() throws Exception {
        int port = start();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            java.io.OutputStream out = s.getOutputStream();
            java.io.InputStream in = s.getInputStream();
            out.write("HEAD /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String head = headers(in);
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("\ncontent-encoding: gzip\r"), head);
            assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("\ncontent-type: text/plain; version=0.0.4"), head);
            // The same connection: nothing of a body came after the HEAD's headers to be taken for the next answer.
            out.write("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String next = headers(in);
            assertTrue(next.startsWith("HTTP/1.1 200 "), next);
        }
        MetricsHttp.scrape(port);
        Thread.sleep(500); // what the server had to say is written
        for (String line : greylited.log) {
            assertTrue(!line.contains("WARNING") && !line.contains("sendResponseHeaders") && !line.contains("left before"),
                    "logged: " + line);
        }
    }

    /** An answer's status line and headers, up to the empty line that ends them. */
    private static String headers(java.io.InputStream in) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) {
                return b.toString();
            }
        }
        return b.toString();
    }

    @Test
    void clientsThatSendHalfARequestDoNotHoldUpTheScrape() throws Exception {
        MetricsHttp.assertScrapedWhileHalfRequestsWait(start());
    }

    /**
     * A client that sends half a request is let go once a request's time is up (10 s, Prometheus' default scrape
     * timeout), not kept for the minute it once was: the connections such clients can hold are bounded, and each
     * is held briefly.
     */
    @Test
    void aRequestThatDoesNotArriveWholeIsClosed() throws Exception {
        // The JDK server's limit, 10 s in greylited, given shorter on the java command line (as -D wins over the
        // program's own value): the same close, waited for 2 s instead of 10.
        int port = start(GreylitedProcess.command(upstream.address()).jvm("-Dsun.net.httpserver.maxReqTime=2"));
        try (Socket half = new Socket("127.0.0.1", port)) {
            half.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            half.setSoTimeout(40_000);
            assertEquals(-1, half.getInputStream().read(), "closed without an answer");
        }
    }

    /**
     * A client that leaves before its answer is written (Prometheus past its scrape timeout, a probe that hangs up)
     * is nothing for the administrator to act on: it was logged as SEVERE, with two stack traces of some forty lines
     * each, in java.util.logging's format rather than greylited's (and not as JSON with --log-format json), so
     * anyone who could reach the port could fill the log. Now it is not logged at all, and the scrapes go on.
     */
    @Test
    void clientsThatLeaveBeforeTheAnswerLogNothing() throws Exception {
        int port = start();
        for (int i = 0; i < 8; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                // the end of the stream ends the headers for the JDK server, which then answers a closed socket
                s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(50);
            }
        }
        Thread.sleep(1000); // their answers have been tried
        MetricsHttp.scrape(port);
        for (String line : greylited.log) {
            assertTrue(!line.contains("SEVERE") && !line.contains("Exception") && !line.startsWith("\tat "),
                    "logged: " + line);
        }
    }

    @Test
    void everyDocumentedSeriesIsThereAtZeroBeforeTheFirstEvent() throws Exception {
        String m = MetricsHttp.scrape(start());
        // RCPT decisions: every verdict with its reasons, and the suspicion N each can carry.
        for (String series : new String[] {
            "greylite_rcpt_total{reason=\"first-attempt\",suspicion=\"none\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"first-attempt\",suspicion=\"3\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"more-attempts-needed\",suspicion=\"10+\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"early-retry\",suspicion=\"none\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"too-many-pending\",suspicion=\"1\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"passed\",suspicion=\"none\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"known-triplet\",suspicion=\"0\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"no-delay-rule\",suspicion=\"0\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"whitelisted\",suspicion=\"none\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"known-sender\",suspicion=\"none\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"skipped\",suspicion=\"none\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"exempt-recipient\",suspicion=\"none\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"blacklisted\",suspicion=\"none\",verdict=\"reject\"} 0.0",
            "greylite_rcpt_total{reason=\"store-error\",suspicion=\"none\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"store-error\",suspicion=\"none\",verdict=\"tempfail\"} 0.0",
            "greylite_proxy_header_failures_total{reason=\"malformed\"} 0.0",
            "greylite_proxy_header_failures_total{reason=\"timeout\"} 0.0",
            "greylite_proxy_header_failures_total{reason=\"closed\"} 0.0",
            "greylite_rcpt_upstream_refused_total{class=\"4xx\"} 0.0",
            "greylite_junk_command_limit_total 0.0",
            "greylite_greydb_file_replaced_total 0.0"}) {
            assertTrue(m.contains("\n" + series + "\n"), series + " missing from:\n" + m);
        }
        // No pair the engine cannot give: a greylisting refusal has N of 1 or more, and N = 0 always has a line.
        assertTrue(!m.contains("reason=\"first-attempt\",suspicion=\"0\""), m);
        assertTrue(!m.contains("reason=\"no-delay-rule\",suspicion=\"none\""), m);
        assertTrue(!m.contains("reason=\"passed\",suspicion=\"none\",verdict=\"greylist\""), m);
        assertEquals(75, m.lines().filter(l -> l.startsWith("greylite_rcpt_total{")).count(),
                "7 verdict and reason pairs without N, 68 with the N each can carry");
    }

    @Test
    void helpTextsNameTheSeriesAsQueriedAndTheDocsNameEveryFamily() throws Exception {
        String m = MetricsHttp.scrape(start());
        assertTrue(m.contains("greylisting's own refusals are in greylite_rcpt_total\n"), m);
        Set<String> names = MetricsHttp.queriedNames(m);
        assertTrue(names.contains("greylite_rcpt_total") && names.contains("greylite_decision_duration_seconds"), names.toString());
        Path root = MetricsHttp.repositoryRoot();
        MetricsHttp.assertDocumented(names, root.resolve("README.md"));
        MetricsHttp.assertDocumented(names, root.resolve("docs").resolve("configuration.md"));
        assertEquals("/metrics", URI.create(greylited.awaitLine("metrics on http://", Duration.ofSeconds(1))
                .replaceAll(".*metrics on ", "")).getPath());
    }
}
