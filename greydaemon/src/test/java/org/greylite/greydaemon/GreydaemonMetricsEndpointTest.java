package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
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

    /**
     * A SIGHUP that keeps what was loaded before, for each file greydaemon reloads, is counted under greylited's name
     * with the file's label; the other files' series stay at 0. Such reloads were logged only: an alert on the metric
     * never saw a broken {@code -w} or known-senders edit.
     */
    @Test
    void eachReloadThatKeepsTheFileLoadedBeforeIsCountedByFile() throws Exception {
        Path white = Files.writeString(dir.resolve("white"), "192.0.2.0/24\n");
        Path known = Files.writeString(dir.resolve("known"), "cidr 203.0.113.0/24 a partner\n");
        Path suspicion = Files.writeString(dir.resolve("suspicion"), "2 e r:^b@\n");
        try (RunningGreydaemon d = GreyDaemon.start(CommandLine.parse(List.of("-w", white.toString(), "127.0.0.1:0",
                        dir.resolve("reload-greydb").toString())),
                Map.of("GREYLITE_NO_SHIPPED_WHITELIST", "", "GREYLITE_METRICS", "127.0.0.1:0",
                        "GREYLITE_WHITELIST_FILES", known.toString(), "SUSPICION", suspicion.toString()),
                new MutableClock(Instant.parse("2026-12-01T10:00:00Z")))) {
            Files.writeString(white, "192.0.2.0/24\n300.1.2.3\n");
            d.reload();
            MetricsHttp.assertReloadFailures(d.metricsPort(),
                    Map.of("whitelist-ranges", 1, "known-senders", 0, "suspicion", 0));

            Files.writeString(known, "regex (unclosed a typo\n");
            Files.writeString(suspicion, "2 e r:(unclosed\n");
            d.reload();
            MetricsHttp.assertReloadFailures(d.metricsPort(),
                    Map.of("whitelist-ranges", 2, "known-senders", 1, "suspicion", 1));
        }
    }

    @Test
    void everyFamilyIsDocumented() {
        Set<String> names = MetricsHttp.queriedNames(MetricsHttp.scrape(daemon.metricsPort()));
        assertTrue(names.contains("greylite_greydaemon_answers_total"), names.toString());
        MetricsHttp.assertDocumented(names, MetricsHttp.repositoryRoot().resolve("README.md"));
    }
}
