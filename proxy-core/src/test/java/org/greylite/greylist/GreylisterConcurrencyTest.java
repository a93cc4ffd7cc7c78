package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
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
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.RuleMatch;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two store instances on one file, as two tcpserver children would have, deciding the same triplet
 * from several threads at once: no attempt may be lost or counted twice.
 */
@Timeout(60)
class GreylisterConcurrencyTest {

    private static final int THREADS = 8;

    @TempDir
    Path dir;

    /** Runs {@code attempts} decisions of one triplet spread over two stores and 8 threads; returns the verdicts. */
    private List<Verdict> hammer(GreylistSettings settings, SuspicionPolicy policy, MutableClock clock, int attempts)
            throws Exception {
        Path db = dir.resolve("greylite.db");
        try (GreylistStore a = GreylistStores.sqlite(db, Duration.ofSeconds(5));
             GreylistStore b = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            Greylister[] greylisters = {
                new Greylister(a, policy, settings, clock, DecisionListener.NONE),
                new Greylister(b, policy, settings, clock, DecisionListener.NONE),
            };
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Verdict>> futures = new ArrayList<>();
                for (int i = 0; i < attempts; i++) {
                    Greylister g = greylisters[i % 2];
                    futures.add(pool.submit(() -> {
                        go.await();
                        return g.decide(GreylisterTest.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
                    }));
                }
                go.countDown();
                List<Verdict> out = new ArrayList<>();
                for (Future<Verdict> f : futures) {
                    out.add(f.get(30, TimeUnit.SECONDS));
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

    private long refusalsInDb() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT refusals FROM triplet")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * With min-delay 0 every attempt counts: the first k attempts are refused (k &lt;= N), attempt N+1
     * passes, every later one is accepted. 200 attempts with N = 100 must give exactly 100 refusals.
     */
    @Test
    void everyAttemptCountsExactlyOnce() throws Exception {
        int n = 100;
        GreylistSettings settings = GreylistSettings.defaults().withMinDelay(Duration.ZERO);
        MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00Z"));
        List<Verdict> verdicts = hammer(settings, f -> new Suspicion(n, null), clock, 200);

        Map<Reason, Integer> reasons = byReason(verdicts);
        long refused = verdicts.stream().filter(v -> !v.accepted()).count();
        assertEquals(n, refused, reasons.toString());
        assertEquals(1, reasons.get(Reason.FIRST_ATTEMPT), reasons.toString());
        assertEquals(n - 1, reasons.get(Reason.MORE_ATTEMPTS), reasons.toString());
        assertEquals(1, reasons.get(Reason.PASSED), reasons.toString());
        assertEquals(200 - n - 1, reasons.getOrDefault(Reason.KNOWN, 0) + reasons.getOrDefault(Reason.WHITELISTED, 0),
                reasons.toString());
        assertEquals(null, reasons.get(Reason.STORE_ERROR), "no attempt hit a busy database");
        assertEquals(n, refusalsInDb());
    }

    @Test
    void aSuspiciousClientIsCountedExactlyOnceToo() throws Exception {
        int n = 30;
        GreylistSettings settings = GreylistSettings.defaults().withMinDelay(Duration.ZERO);
        MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00Z"));
        List<Verdict> verdicts = hammer(settings, f -> new Suspicion(n, new RuleMatch("s", 1, "30 r x")), clock, 80);
        Map<Reason, Integer> reasons = byReason(verdicts);
        assertEquals(n, verdicts.stream().filter(v -> !v.accepted()).count(), reasons.toString());
        assertEquals(1, reasons.get(Reason.PASSED), reasons.toString());
        assertEquals(80 - n - 1, reasons.get(Reason.KNOWN), reasons.toString());
        assertEquals(n, refusalsInDb());
    }

    /** Simultaneous first attempts: one records the triplet, the others are early retries of it. */
    @Test
    void simultaneousFirstAttemptsRecordOneTriplet() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00Z"));
        List<Verdict> verdicts = hammer(GreylistSettings.defaults(), SuspicionPolicy.NONE, clock, 40);
        Map<Reason, Integer> reasons = byReason(verdicts);
        assertEquals(Map.of(Reason.FIRST_ATTEMPT, 1, Reason.EARLY_RETRY, 39), reasons);
        assertEquals(1, refusalsInDb());
    }
}
