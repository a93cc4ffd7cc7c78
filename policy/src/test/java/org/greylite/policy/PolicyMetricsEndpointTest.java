package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.MetricsHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylite-policy's {@code --metrics} endpoint over real HTTP: greylited's endpoint (the metrics at {@code /metrics}
 * alone), every verdict and reason at 0 before the first request, each family named in the README.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyMetricsEndpointTest {

    @TempDir
    Path dir;

    private RunningPolicy policy;

    @AfterEach
    void stop() {
        if (policy != null) {
            policy.close();
        }
    }

    @Test
    void onlyGetAndHeadOfTheMetricsPathAreAnswered() throws Exception {
        policy = TestPolicy.start(dir, "--metrics=127.0.0.1:0");
        MetricsHttp.assertServesMetricsAtTheirPathOnly(policy.metricsPort());
    }

    @Test
    void clientsThatSendHalfARequestDoNotHoldUpTheScrape() throws Exception {
        policy = TestPolicy.start(dir, "--metrics=127.0.0.1:0");
        MetricsHttp.assertScrapedWhileHalfRequestsWait(policy.metricsPort());
    }

    /**
     * A SIGHUP that keeps what was loaded before, for each file the service reloads, is counted under greylited's name
     * with the file's label, the others staying at 0. Such reloads were logged only: an alert on the metric never saw
     * a broken whitelist or known-senders edit.
     */
    @Test
    void eachReloadThatKeepsTheFileLoadedBeforeIsCountedByFile() throws Exception {
        Path clients = Files.writeString(dir.resolve("whitelist_clients"), "mail.example.com\n");
        Path known = Files.writeString(dir.resolve("known"), "cidr 203.0.113.0/24 a partner\n");
        Path suspicion = Files.writeString(dir.resolve("suspicion"), "2 e r:^b@\n");
        policy = TestPolicy.start(dir, "--metrics=127.0.0.1:0", "--whitelist-clients=" + clients,
                "--whitelist-file=" + known, "--suspicion=" + suspicion);
        Files.writeString(clients, "mail.example.com\n/(unclosed/\n");
        policy.reload();
        MetricsHttp.assertReloadFailures(policy.metricsPort(), Map.of("whitelists", 1, "known-senders", 0, "suspicion", 0));

        Files.writeString(known, "regex (unclosed a typo\n");
        Files.writeString(suspicion, "2 e r:(unclosed\n");
        policy.reload();
        MetricsHttp.assertReloadFailures(policy.metricsPort(), Map.of("whitelists", 2, "known-senders", 1, "suspicion", 1));
    }

    @Test
    void everyVerdictAndReasonIsThereAtZeroAndEveryFamilyIsDocumented() throws Exception {
        policy = TestPolicy.start(dir, "--metrics=127.0.0.1:0");
        String m = MetricsHttp.scrape(policy.metricsPort());
        for (String series : new String[] {
            "greylite_rcpt_total{reason=\"first-attempt\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"early-retry\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"more-attempts-needed\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"too-many-pending\",verdict=\"greylist\"} 0.0",
            "greylite_rcpt_total{reason=\"passed\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"known-triplet\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"no-delay-rule\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"whitelisted\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"known-sender\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"skipped\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"exempt-recipient\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"blacklisted\",verdict=\"reject\"} 0.0",
            "greylite_rcpt_total{reason=\"store-error\",verdict=\"accept\"} 0.0",
            "greylite_rcpt_total{reason=\"store-error\",verdict=\"tempfail\"} 0.0",
            "greylite_policy_protocol_errors_total 0.0",
            "greylite_greydb_file_replaced_total 0.0"}) {
            assertTrue(m.contains("\n" + series + "\n"), series + " missing from:\n" + m);
        }
        Set<String> names = MetricsHttp.queriedNames(m);
        assertTrue(names.contains("greylite_policy_requests_total"), names.toString());
        MetricsHttp.assertDocumented(names, MetricsHttp.repositoryRoot().resolve("README.md"));
    }
}
