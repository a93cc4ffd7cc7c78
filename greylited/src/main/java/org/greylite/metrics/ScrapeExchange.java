package org.greylite.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;

import io.prometheus.metrics.exporter.httpserver.HttpExchangeAdapter;

/**
 * One scrape as the Prometheus library's handler sees it, with its failures told the way the rest of the program
 * tells them. The library's own adapter logged every failure as SEVERE through java.util.logging, two stack traces
 * of some forty lines in a format of their own (never JSON, whatever --log-format says), and sent the client a
 * stack trace of the program when collecting failed. The commonest failure is no failure of ours: a client that
 * hung up before its answer was written (Prometheus past its scrape timeout, a probe), which anyone who can reach
 * the port can repeat at will; it is left to the debug level.
 *
 * <p>A {@code HEAD} is answered with the headers alone whatever it asks for: the library's handler answers a HEAD
 * without a body only when it does not compress, and one that offered gzip got its headers with a body of unknown
 * length to come, which the JDK's server refused with a WARNING in java.util.logging's own two lines.
 */
final class ScrapeExchange extends HttpExchangeAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final HttpExchange exchange;

    ScrapeExchange(HttpExchange exchange) {
        super(exchange);
        this.exchange = exchange;
    }

    @Override
    public HttpResponse getResponse() {
        HttpResponse response = super.getResponse();
        if (!exchange.getRequestMethod().equals("HEAD")) {
            return response;
        }
        return new HttpResponse() {
            /** The status and headers, with no body to follow (-1); a body, if one is written, is discarded. */
            @Override
            public OutputStream sendHeadersAndGetBody(int status, int contentLength) throws IOException {
                super.sendHeadersAndGetBody(status, -1);
                return OutputStream.nullOutputStream();
            }
        };
    }

    /** Reading the request or writing the answer failed: the client went away, or stopped reading. */
    @Override
    public void handleException(IOException e) {
        LOG.debug("metrics client {} left before its answer: {}", exchange.getRemoteAddress(), e.toString());
    }

    /** Collecting the metrics failed: ours to fix, so logged with its stack; the client is told no more than that. */
    @Override
    public void handleException(RuntimeException e) {
        LOG.error("collecting the metrics failed; the scrape is answered 500", e);
        if (exchange.getResponseCode() != -1) {
            return; // the answer had begun: the client sees it cut short
        }
        byte[] body = "500 the metrics could not be collected: see the program's log\n".getBytes(StandardCharsets.UTF_8);
        try {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            exchange.sendResponseHeaders(500, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (IOException gone) {
            handleException(gone);
        }
    }
}
