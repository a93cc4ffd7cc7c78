package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shared PostgreSQL greydb (the real server): decisions run on a pool of greydb threads and their answers
 * come back to each connection in order, also for many connections at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PolicyPostgresTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    @TempDir
    Path dir;

    @Test
    void manyConnectionsAtOnceEachGetTheirAnswersInOrder() throws Exception {
        String db = PG.createDatabase();
        try (RunningPolicy policy = TestPolicy.start(dir, PG.env(), "--db=" + PG.url(db), "--db-connections=4",
                "--client-key=ip", "--delay=1")) {
            int connections = 12;
            int perConnection = 10;
            ExecutorService clients = Executors.newFixedThreadPool(connections);
            try {
                List<Future<List<String>>> answers = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    int me = i;
                    answers.add(clients.submit(() -> {
                        StringBuilder pipelined = new StringBuilder();
                        for (int k = 0; k < perConnection; k++) {
                            pipelined.append(PolicyClient.request(
                                    PolicyClient.rcpt("192.0.2." + (me + 1), "s@example.net", "r" + k + "@example.org")));
                        }
                        try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
                            c.send(pipelined.toString());
                            List<String> got = new ArrayList<>();
                            for (int k = 0; k < perConnection; k++) {
                                got.add(c.readAnswer());
                            }
                            return got;
                        }
                    }));
                }
                for (Future<List<String>> f : answers) {
                    for (String a : f.get()) {
                        assertEquals(PolicyProtocolTest.GREYLISTED_2, a);
                    }
                }
            } finally {
                clients.shutdownNow();
            }
            assertEquals(String.valueOf(connections * perConnection),
                    PG.psql(db, "SELECT count(*) FROM triplet WHERE refusals = 1").strip());

            Thread.sleep(2_500);
            try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
                Map<String, String> retry = PolicyClient.rcpt("192.0.2.1", "s@example.net", "r0@example.org");
                String pass = c.ask(retry);
                assertTrue(pass.startsWith("PREPEND X-Greylist: delayed "), pass);
            }
        }
    }

    @Test
    void autoWhitelistClientsThreeCountsPassedTripletsInPostgres() throws Exception {
        String db = PG.createDatabase();
        try (RunningPolicy policy = TestPolicy.start(dir, PG.env(), "--db=" + PG.url(db), "--client-key=ip",
                "--delay=1", "--auto-whitelist-clients=3");
             PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
            PolicyDecisionsTest.assertWhitelistedAtTheThirdPass(c, "192.0.2.99");
        }
        assertEquals("192.0.2.99", PG.psql(db, "SELECT client FROM whitelist WHERE source = 'auto'").strip());
    }
}
