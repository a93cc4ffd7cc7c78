package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.MetricsHttp;
import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * greydaemon's {@code GREYLITE_METRICS} endpoint over real HTTP: greylited's endpoint (the metrics at {@code /metrics}
 * alone), and each family named in the README.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GreydaemonMetricsEndpointTest {

    @TempDir
    Path dir;

    private RunningGreydaemon daemon;

    @BeforeEach
    void start() throws Exception {
        daemon = GreyDaemon.start(CommandLine.parse(List.of("127.0.0.1:0", dir.resolve("greydb").toString())),
                Map.of("GREYLITE_NO_SHIPPED_WHITELIST", "", "GREYLITE_METRICS", "127.0.0.1:0"),
                new MutableClock(Instant.parse("2026-12-01T10:00:00Z")));
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    @Test
    void onlyGetAndHeadOfTheMetricsPathAreAnswered() {
        MetricsHttp.assertServesMetricsAtTheirPathOnly(daemon.metricsPort());
    }

    @Test
    void clientsThatSendHalfARequestDoNotHoldUpTheScrape() throws Exception {
        MetricsHttp.assertScrapedWhileHalfRequestsWait(daemon.metricsPort());
    }

    @Test
    void everyFamilyIsDocumented() {
        Set<String> names = MetricsHttp.queriedNames(MetricsHttp.scrape(daemon.metricsPort()));
        assertTrue(names.contains("greylite_greydaemon_answers_total"), names.toString());
        MetricsHttp.assertDocumented(names, MetricsHttp.repositoryRoot().resolve("README.md"));
    }
}
