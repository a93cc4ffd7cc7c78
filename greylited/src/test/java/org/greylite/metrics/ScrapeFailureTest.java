package org.greylite.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.MetricsHttp;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * A scrape whose collecting fails, over real HTTP: the Prometheus library's adapter answered it with the program's
 * stack trace, for whoever asked; now the client gets a 500 and a line, and the stack goes to the log.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ScrapeFailureTest {

    @Test
    void aFailedCollectIsAnswered500WithoutTheStack() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Collector outOfOrder = () -> {
            throw new IllegalStateException("collector out of order");
        };
        registry.register(outOfOrder);
        Logger log = (Logger) LoggerFactory.getLogger(MetricsEndpoint.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        log.addAppender(logged);
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry)) {
            HttpResponse<String> r = MetricsHttp.request(endpoint.port(), "GET", "/metrics");
            assertEquals(500, r.statusCode(), r.body());
            assertTrue(!r.body().contains("Exception") && !r.body().contains("\tat ")
                    && !r.body().contains("out of order"), r.body());
            assertEquals(500, MetricsHttp.request(endpoint.port(), "HEAD", "/metrics").statusCode());
            assertEquals(404, MetricsHttp.request(endpoint.port(), "GET", "/").statusCode(), "and it goes on");
        } finally {
            log.detachAppender(logged);
        }
        ILoggingEvent first = logged.list.get(0);
        assertEquals(Level.ERROR, first.getLevel(), first.toString());
        assertEquals("collector out of order", first.getThrowableProxy().getMessage(), "the stack is in the log");
    }
}
