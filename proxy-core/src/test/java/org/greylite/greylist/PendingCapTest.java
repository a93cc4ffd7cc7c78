package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.greylite.testing.MutableClock;
import org.greylite.greylist.Verdict.Action;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoredState;
import org.greylite.store.Triplet;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cap on one client key's pending triplets (--max-pending), against a real greydb file. */
class PendingCapTest {

    static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

    @TempDir
    Path dir;

    private Path db;
    private GreylistStore store;
    private final MutableClock clock = new MutableClock(T0);
    private final List<Verdict> told = new ArrayList<>();

    @BeforeEach
    void open() {
        db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Greylister engine(int cap, SuspicionPolicy policy) {
        return new Greylister(store, policy, GreylistSettings.defaults().withMaxPending(cap), clock, (r, v) -> told.add(v));
    }

    private static Verdict attempt(Greylister g, String ip, String to) throws Exception {
        return g.decide(new RcptRequest(InetAddress.getByName(ip),
                new ClientFacts(ip, "", "mx.example.net", "a@example.net", to, Map.of(), Set.of()), null));
    }

    private long triplets(String where) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM triplet WHERE " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aNewTripletBeyondTheCapIsGreylistedAndNotRecorded() throws Exception {
        Greylister g = engine(3, SuspicionPolicy.NONE);
        for (int i = 1; i <= 3; i++) {
            assertEquals(Reason.FIRST_ATTEMPT, attempt(g, "192.0.2.7", "r" + i + "@example.org").reason());
        }
        Verdict over = attempt(g, "192.0.2.9", "r4@example.org"); // the same /24: the same client key
        assertEquals(Action.GREYLIST, over.action());
        assertEquals(Reason.TOO_MANY_PENDING, over.reason());
        assertEquals("too-many-pending", over.reason().label());
        assertEquals("192.0.2.0/24", over.clientKey());
        assertEquals(300, over.retryAfterSeconds(), "the greylisting reply's usual wait");
        assertEquals(over, told.get(told.size() - 1), "the decision log and the metrics hear of it");
        assertEquals(3, triplets("client = '192.0.2.0/24'"), "nothing was written for the fourth");
        assertEquals(0, triplets("recipient = 'r4@example.org'"));

        assertEquals(Reason.FIRST_ATTEMPT, attempt(g, "198.51.100.1", "r4@example.org").reason(),
                "another client key has its own count");
    }

    @Test
    void retriesOfThePendingTripletsStillPassAndThePassLiftsTheCap() throws Exception {
        Greylister g = engine(2, SuspicionPolicy.NONE);
        attempt(g, "192.0.2.7", "r1@example.org");
        attempt(g, "192.0.2.7", "r2@example.org");
        assertEquals(Reason.TOO_MANY_PENDING, attempt(g, "192.0.2.7", "r3@example.org").reason());

        clock.advance(Duration.ofMinutes(1));
        assertEquals(Reason.EARLY_RETRY, attempt(g, "192.0.2.7", "r1@example.org").reason(), "a known triplet is not capped");
        clock.advance(GreylistSettings.DEFAULT_MIN_DELAY);
        assertEquals(Reason.PASSED, attempt(g, "192.0.2.7", "r1@example.org").reason());
        assertEquals(Reason.WHITELISTED, attempt(g, "192.0.2.7", "r3@example.org").reason(),
                "once it passed, the bulk sender is on the auto-whitelist");
    }

    @Test
    void passedAndExpiredTripletsDoNotCount() throws Exception {
        // A suspicious client: never whitelisted, so each of its new triplets is counted against the cap.
        Greylister g = engine(2, f -> new Suspicion(1, new org.greylite.suspicion.RuleMatch("suspicion", 1, "1 r dynamic")));
        attempt(g, "192.0.2.7", "r1@example.org");
        clock.advance(GreylistSettings.DEFAULT_MIN_DELAY);
        assertEquals(Reason.PASSED, attempt(g, "192.0.2.7", "r1@example.org").reason());
        attempt(g, "192.0.2.7", "r2@example.org");
        assertEquals(Reason.FIRST_ATTEMPT, attempt(g, "192.0.2.7", "r3@example.org").reason(),
                "the passed triplet is not pending");
        assertEquals(Reason.TOO_MANY_PENDING, attempt(g, "192.0.2.7", "r4@example.org").reason());

        clock.advance(GreylistSettings.DEFAULT_RETRY_WINDOW);
        assertEquals(Reason.FIRST_ATTEMPT, attempt(g, "192.0.2.7", "r4@example.org").reason(),
                "pending triplets past the retry window count as absent");
        assertEquals(Reason.FIRST_ATTEMPT, attempt(g, "192.0.2.7", "r2@example.org").reason(),
                "an expired triplet starts over as a first attempt, within the cap");
        assertEquals(Reason.TOO_MANY_PENDING, attempt(g, "192.0.2.7", "r5@example.org").reason());
    }

    @Test
    void zeroMeansNoCap() throws Exception {
        Greylister g = engine(0, SuspicionPolicy.NONE);
        for (int i = 1; i <= 50; i++) {
            assertEquals(Reason.FIRST_ATTEMPT, attempt(g, "192.0.2.7", "r" + i + "@example.org").reason(), "attempt " + i);
        }
        assertEquals(50, triplets("passed_at IS NULL"));
    }

    @Test
    void theDefaultCapIsAThousandAndANegativeOneIsRefused() {
        assertEquals(1000, GreylistSettings.defaults().maxPending());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GreylistSettings.defaults().withMaxPending(-1));
        assertEquals("max-pending must be 0 (no cap) or more: -1", e.getMessage());
    }

    @Test
    void theCountIsAskedOnlyForANewTriplet() {
        Instant now = T0.plus(Duration.ofHours(1));
        TripletTransition t = new TripletTransition(GreylistSettings.defaults().withMaxPending(7), Duration.ofHours(1),
                "192.0.2.0/24", now, Suspicion.NONE, Suspicion.NONE);
        List<String> asked = new ArrayList<>();
        StoredState.PendingCount counting = (after, limit) -> {
            asked.add(after + " " + limit);
            return 0;
        };
        Triplet pending = new Triplet(1, T0, T0, null);
        Triplet passed = new Triplet(1, T0, T0, T0);
        t.apply(new StoredState(true, Map.of(), Optional.empty(), counting));
        t.apply(new StoredState(false, Map.of(), Optional.of(pending), counting));
        t.apply(new StoredState(false, Map.of(), Optional.of(passed), counting));
        assertEquals(List.of(), asked, "a whitelisted client, a retry and a known triplet need no count");

        t.apply(new StoredState(false, Map.of(), Optional.empty(), counting));
        t.apply(new StoredState(false, Map.of(), Optional.of(new Triplet(1, T0.minus(Duration.ofDays(2)), T0, null)), counting));
        String window = now.minus(GreylistSettings.DEFAULT_RETRY_WINDOW) + " 7";
        assertEquals(List.of(window, window), asked, "no row, or an expired one: counted within the window, up to the cap");
    }
    @Test
    void anotherProcesssNewTripletsCountOnceTheEstimateIsTenSecondsOld() throws Exception {
        Greylister here = engine(3, SuspicionPolicy.NONE);
        assertEquals(Reason.FIRST_ATTEMPT, attempt(here, "192.0.2.7", "r1@example.org").reason());
        try (GreylistStore otherStore = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            // Another process on the same greydb file (a second greylited, the wrapper's processes).
            Greylister there = new Greylister(otherStore, SuspicionPolicy.NONE,
                    GreylistSettings.defaults().withMaxPending(3), clock, (r, v) -> { });
            assertEquals(Reason.FIRST_ATTEMPT, attempt(there, "192.0.2.8", "r2@example.org").reason());
            assertEquals(Reason.FIRST_ATTEMPT, attempt(there, "192.0.2.8", "r3@example.org").reason());
        }
        assertEquals(3, triplets("client = '192.0.2.0/24'"));

        assertEquals(Reason.FIRST_ATTEMPT, attempt(here, "192.0.2.7", "r4@example.org").reason(),
                "within the freshness this process goes by its own count (its one triplet) and lets a fourth in: one over");
        clock.advance(PendingEstimates.FRESH.plusSeconds(1));
        assertEquals(Reason.TOO_MANY_PENDING, attempt(here, "192.0.2.7", "r5@example.org").reason(),
                "past it, the greydb is counted again and the other process's triplets count");
        assertEquals(4, triplets("client = '192.0.2.0/24'"));
    }

    @Test
    void theEstimateSparesTheCountWhileFresh() {
        PendingEstimates estimates = new PendingEstimates();
        List<Integer> counted = new ArrayList<>();
        int[] inGreydb = {5};
        StoredState.PendingCount greydb = (after, limit) -> {
            counted.add(inGreydb[0]);
            return Math.min(inGreydb[0], limit);
        };
        Instant after = T0.minus(GreylistSettings.DEFAULT_RETRY_WINDOW);
        assertEquals(5, estimates.around("k", T0, greydb).upTo(after, 8));
        estimates.recorded("k");
        inGreydb[0] = 6;
        assertEquals(6, estimates.around("k", T0.plusSeconds(3), greydb).upTo(after, 8), "its own new triplet counted");
        assertEquals(List.of(5), counted, "and the greydb counted once");

        estimates.recorded("k");
        estimates.recorded("k");
        estimates.recorded("k");
        inGreydb[0] = 9;
        assertEquals(8, estimates.around("k", T0.plusSeconds(4), greydb).upTo(after, 8),
                "its own writes bring it to the cap (counted no further than the limit)");
        inGreydb[0] = 2; // some passed or left the window
        assertEquals(8, estimates.around("k", T0.plusSeconds(10), greydb).upTo(after, 8),
                "a key at the cap stays refused while the count is fresh");
        assertEquals(List.of(5), counted, "all of it without counting again");

        assertEquals(2, estimates.around("k", T0.plusSeconds(11), greydb).upTo(after, 8));
        assertEquals(2, estimates.around("k", T0.plusSeconds(21), greydb).upTo(after, 8));
        assertEquals(2, estimates.around("k", T0.plusSeconds(22), greydb).upTo(after, 8));
        assertEquals(List.of(5, 2, 2), counted, "counted again once the count is more than ten seconds old");

        assertEquals(2, estimates.around("k", T0.plusSeconds(12), greydb).upTo(after, 8),
                "a clock set back: the count is not taken for fresh");
        assertEquals(List.of(5, 2, 2, 2), counted);

        estimates.recorded("unknown");
        assertEquals(1, estimates.size(), "a key never counted is not kept");
    }
}
