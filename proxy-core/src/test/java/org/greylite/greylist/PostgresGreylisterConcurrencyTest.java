package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.MutableClock;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two MX hosts on one PostgreSQL greydb: two engines, each with its own connection pool, deciding the
 * same triplet from many threads at the same moment. No attempt may be counted twice or lost: with
 * min-delay 0 and N = 100, k attempts give exactly min(k, N) refusals, and no store error.
 */
@Timeout(120)
class PostgresGreylisterConcurrencyTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    private static final int CONNECTIONS_PER_HOST = 8;
    private static final int THREADS = 2 * CONNECTIONS_PER_HOST + 4; // a few more than connections: some wait for one

    /** {@code attempts} decisions of {@code rcpt(i)}, alternating between the two hosts, all released at once. */
    private static List<Verdict> hammer(String database, GreylistSettings settings, SuspicionPolicy policy, int attempts,
                                        java.util.function.IntFunction<RcptRequest> rcpt) throws Exception {
        GreydbOptions options = new GreydbOptions(Duration.ofSeconds(10), CONNECTIONS_PER_HOST, PG.env());
        MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00Z"));
        try (GreylistStore mx1 = GreylistStores.open(PG.url(database), options);
             GreylistStore mx2 = GreylistStores.open(PG.url(database), options)) {
            Greylister[] hosts = {
                new Greylister(mx1, policy, settings, clock, DecisionListener.NONE),
                new Greylister(mx2, policy, settings, clock, DecisionListener.NONE),
            };
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Verdict>> futures = new ArrayList<>();
                for (int i = 0; i < attempts; i++) {
                    Greylister host = hosts[i % 2];
                    RcptRequest request = rcpt.apply(i);
                    futures.add(pool.submit(() -> {
                        go.await();
                        return host.decide(request);
                    }));
                }
                go.countDown();
                List<Verdict> out = new ArrayList<>();
                for (Future<Verdict> f : futures) {
                    out.add(f.get(60, TimeUnit.SECONDS));
                }
                return out;
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static Map<Reason, Integer> byReason(List<Verdict> verdicts) {
        Map<Reason, Integer> m = new EnumMap<>(Reason.class);
        for (Verdict v : verdicts) {
            m.merge(v.reason(), 1, Integer::sum);
        }
        return m;
    }

    @ParameterizedTest(name = "{0} attempts")
    @ValueSource(ints = {60, 100, 101, 250})
    void kAttemptsGiveExactlyMinKNRefusals(int k) throws Exception {
        int n = 100;
        String db = PG.createDatabase();
        List<Verdict> verdicts = hammer(db, GreylistSettings.defaults().withMinDelay(Duration.ZERO),
                f -> new Suspicion(n, null), k, i -> GreylisterTest.rcpt("192.0.2.7", "a@example.net", "b@example.org"));

        Map<Reason, Integer> reasons = byReason(verdicts);
        assertNull(reasons.get(Reason.STORE_ERROR), reasons.toString());
        assertEquals(Math.min(k, n), verdicts.stream().filter(v -> !v.accepted()).count(), reasons.toString());
        assertEquals(1, reasons.get(Reason.FIRST_ATTEMPT), reasons.toString());
        assertEquals(Math.min(k, n) - 1, reasons.getOrDefault(Reason.MORE_ATTEMPTS, 0), reasons.toString());
        assertEquals(k > n ? 1 : 0, reasons.getOrDefault(Reason.PASSED, 0), reasons.toString());
        assertEquals(Integer.toString(Math.min(k, n)), PG.psql(db, "SELECT refusals FROM triplet"));
    }

    /** Simultaneous first attempts at both hosts: one records the triplet, the others are early retries of it. */
    @Test
    void simultaneousFirstAttemptsRecordOneTriplet() throws Exception {
        String db = PG.createDatabase();
        List<Verdict> verdicts = hammer(db, GreylistSettings.defaults(), SuspicionPolicy.NONE, 40,
                i -> GreylisterTest.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        assertEquals(Map.of(Reason.FIRST_ATTEMPT, 1, Reason.EARLY_RETRY, 39), byReason(verdicts));
        assertEquals("1", PG.psql(db, "SELECT refusals FROM triplet"));
    }

    /**
     * Many triplets of one client passing at once on both hosts: every decision also touches the client's
     * whitelist row, and must neither deadlock nor fail.
     */
    @Test
    void manyTripletsOfOneClientPassTogetherWithoutErrors() throws Exception {
        String db = PG.createDatabase();
        GreylistSettings settings = GreylistSettings.defaults().withMinDelay(Duration.ZERO)
                .withClientKeys(ClientKeys.exactAddresses());
        java.util.function.IntFunction<RcptRequest> rcpt = i -> GreylisterTest.rcpt("192.0.2.7", "a@example.net",
                "user" + (i % 50) + "@example.org");
        // N = 0: every attempt passes at once and whitelists the client, so 200 decisions write the same row
        List<Verdict> verdicts = hammer(db, settings, f -> new Suspicion(0, null), 200, rcpt);
        Map<Reason, Integer> reasons = byReason(verdicts);
        assertNull(reasons.get(Reason.STORE_ERROR), reasons.toString());
        assertEquals(200, verdicts.stream().filter(Verdict::accepted).count(), reasons.toString());
        assertEquals("1", PG.psql(db, "SELECT count(*) FROM whitelist"));
    }
}
