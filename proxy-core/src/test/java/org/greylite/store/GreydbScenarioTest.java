package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.testing.MutableClock;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.greylist.Verdict.Action;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.net.Cidr;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.RuleMatch;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One greylisting story told to every kind of greydb: the engine and greylitectl's view must come out
 * the same whether the greydb is an SQLite file or a PostgreSQL database. Each subclass says how to make
 * a fresh, empty greydb.
 */
@Timeout(60)
abstract class GreydbScenarioTest {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final Duration WINDOW = GreylistSettings.DEFAULT_RETRY_WINDOW;
    static final Duration LIFETIME = GreylistSettings.DEFAULT_WHITELIST_LIFETIME;

    /** A location holding no greydb yet (it is created on first use). */
    abstract GreydbLocation freshGreydb();

    abstract GreydbOptions options();

    final MutableClock clock = new MutableClock(T0);
    GreydbLocation location;
    GreylistStore store;
    GreydbAdmin admin;
    Greylister engine;

    @BeforeEach
    void open() {
        location = freshGreydb();
        store = GreylistStores.open(location, options());
        admin = GreylistStores.admin(location, options());
        engine = engine(SuspicionPolicy.NONE);
    }

    @AfterEach
    void close() {
        if (admin != null) {
            admin.close();
        }
        if (store != null) {
            store.close();
        }
    }

    Greylister engine(SuspicionPolicy policy) {
        return new Greylister(store, policy, GreylistSettings.defaults().withClientKeys(ClientKeys.exactAddresses()),
                clock, (r, v) -> { });
    }

    static Verdict attempt(Greylister g, String ip, String from, String to) throws Exception {
        return g.decide(new RcptRequest(InetAddress.getByName(ip),
                new ClientFacts(ip, "", "helo.example", from, to, Map.of(), Set.of()), null));
    }

    Verdict attempt(String ip, String from, String to) throws Exception {
        return attempt(engine, ip, from, to);
    }

    /** 192.0.2.1 passes a@x→b@y after 10 minutes; 192.0.2.2 and 198.51.100.3 stay pending. */
    void traffic() throws Exception {
        attempt("192.0.2.1", "a@x.example", "b@y.example");
        attempt("192.0.2.2", "spam@z.example", "b@y.example");
        attempt("198.51.100.3", "spam@z.example", "c@y.example");
        clock.advance(Duration.ofMinutes(10));
        assertTrue(attempt("192.0.2.1", "a@x.example", "b@y.example").accepted());
    }

    /** The triplet a@x→{@code rcpt} from 192.0.2.1, refused once and then passing 10 minutes later. */
    Verdict passAfterDelay(Greylister g, String rcpt) throws Exception {
        assertEquals(Reason.FIRST_ATTEMPT, attempt(g, "192.0.2.1", "a@x.example", rcpt).reason());
        clock.advance(Duration.ofMinutes(10));
        return attempt(g, "192.0.2.1", "a@x.example", rcpt);
    }

    @Test
    void autoWhitelistAfterThreePassesNeedsThreeDistinctPassedTriplets() throws Exception {
        Greylister three = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults()
                .withClientKeys(ClientKeys.exactAddresses()).withAutoWhitelistPasses(3), clock, (r, v) -> { });
        assertEquals(Reason.PASSED, passAfterDelay(three, "one@y.example").reason());
        assertEquals(Reason.KNOWN, attempt(three, "192.0.2.1", "a@x.example", "one@y.example").reason(),
                "the same triplet again is known, and counts no second pass");
        assertEquals(Reason.FIRST_ATTEMPT, attempt(three, "192.0.2.1", "a@x.example", "new@y.example").reason(),
                "one passed triplet of three: not whitelisted");
        assertEquals(Reason.PASSED, passAfterDelay(three, "two@y.example").reason());
        assertEquals(Reason.FIRST_ATTEMPT, attempt(three, "192.0.2.1", "a@x.example", "other@y.example").reason(),
                "two passed triplets of three: not whitelisted");
        assertTrue(admin.whitelist().isEmpty(), "no whitelist row before the third pass");
        assertEquals(Reason.PASSED, passAfterDelay(three, "three@y.example").reason());
        assertEquals(Reason.WHITELISTED, attempt(three, "192.0.2.1", "someone@else.example", "c@y.example").reason(),
                "the third passed triplet puts the client on the auto-whitelist");
    }

    @Test
    void autoWhitelistOffLetsEachTripletPassAlone() throws Exception {
        Greylister off = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults()
                .withClientKeys(ClientKeys.exactAddresses()).withAutoWhitelistPasses(0), clock, (r, v) -> { });
        for (String rcpt : List.of("one@y.example", "two@y.example", "three@y.example")) {
            assertEquals(Reason.PASSED, passAfterDelay(off, rcpt).reason());
        }
        assertEquals(Reason.FIRST_ATTEMPT, attempt(off, "192.0.2.1", "a@x.example", "four@y.example").reason(),
                "with 0 no number of passes whitelists");
    }

    @Test
    void firstAttemptEarlyRetryPassThenWhitelist() throws Exception {
        Verdict first = attempt("192.0.2.1", "A@X.example", "b@y.example");
        assertEquals(Action.GREYLIST, first.action());
        assertEquals(Reason.FIRST_ATTEMPT, first.reason());

        clock.advance(Duration.ofMinutes(1));
        Verdict early = attempt("192.0.2.1", "a@x.example", "B@Y.example");
        assertEquals(Reason.EARLY_RETRY, early.reason(), "addresses compare case-insensitively");
        assertEquals(240, early.retryAfterSeconds());

        clock.advance(Duration.ofMinutes(5));
        Verdict pass = attempt("192.0.2.1", "a@x.example", "b@y.example");
        assertEquals(Action.ACCEPT, pass.action());
        assertEquals(Reason.PASSED, pass.reason());

        Verdict other = attempt("192.0.2.1", "someone@else.example", "c@y.example");
        assertEquals(Reason.WHITELISTED, other.reason(), "a client that passed is auto-whitelisted");

        List<GreydbAdmin.TripletRow> rows = admin.triplets(TripletFilter.ALL);
        assertEquals(1, rows.size());
        assertEquals(new TripletKey("192.0.2.1", "a@x.example", "b@y.example"), rows.get(0).key());
        assertEquals(new Triplet(1, T0, T0.plus(Duration.ofMinutes(6)), T0.plus(Duration.ofMinutes(6))), rows.get(0).state());
        GreydbAdmin.WhitelistRow w = admin.whitelist().get(0);
        assertEquals("192.0.2.1", w.client());
        assertEquals("auto", w.source());
        assertEquals(T0.plus(Duration.ofMinutes(6)), w.lastSeen());
    }

    @Test
    void aSuspiciousClientIsRefusedNTimesAndNeverWhitelisted() throws Exception {
        Greylister strict = engine(f -> new Suspicion(3, new RuleMatch("suspicion", 7, "3 r dynamic")));
        for (int i = 1; i <= 3; i++) {
            Verdict v = attempt(strict, "203.0.113.9", "a@x", "b@y");
            assertEquals(Action.GREYLIST, v.action(), "attempt " + i);
            assertEquals(i, v.attempt());
            clock.advance(Duration.ofMinutes(6));
        }
        assertEquals(Reason.PASSED, attempt(strict, "203.0.113.9", "a@x", "b@y").reason());
        assertEquals(Reason.KNOWN, attempt(strict, "203.0.113.9", "a@x", "b@y").reason());
        assertEquals(Reason.FIRST_ATTEMPT, attempt(strict, "203.0.113.9", "a@x", "other@y").reason());
        assertTrue(admin.whitelist().isEmpty());
    }

    @Test
    void anExpiredPendingTripletStartsOver() throws Exception {
        attempt("192.0.2.1", "a@x", "b@y");
        clock.advance(WINDOW);
        assertEquals(Reason.FIRST_ATTEMPT, attempt("192.0.2.1", "a@x", "b@y").reason());
    }

    @Test
    void aClientKeyAtItsPendingCapGetsNoNewTriplet() throws Exception {
        Greylister capped = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults()
                .withClientKeys(ClientKeys.exactAddresses()).withMaxPending(2), clock, (r, v) -> { });
        attempt(capped, "192.0.2.1", "a@x", "b@y");
        attempt(capped, "192.0.2.1", "a@x", "c@y");
        attempt("192.0.2.1", "old@x", "d@y"); // pending, but first seen a whole retry window ago
        clock.advance(WINDOW);
        attempt(capped, "192.0.2.1", "a@x", "b@y");
        attempt(capped, "192.0.2.1", "a@x", "c@y");
        Verdict over = attempt(capped, "192.0.2.1", "a@x", "e@y");
        assertEquals(Action.GREYLIST, over.action());
        assertEquals(Reason.TOO_MANY_PENDING, over.reason());
        assertEquals(3, admin.triplets(TripletFilter.ALL).size(), "the refused triplet was not written");
        assertEquals(Reason.FIRST_ATTEMPT, attempt(capped, "192.0.2.2", "a@x", "e@y").reason());
    }

    @Test
    void theStoreUpdatesAndRemembersBehaviours() {
        TripletKey key = new TripletKey("192.0.2.0/24", "a@x", "b@y");
        assertEquals(Optional.empty(), store.update(key, t -> new TripletUpdate<>(null, null, t)));
        Triplet pending = new Triplet(2, T0, T0.plusSeconds(30), null);
        assertEquals("written", store.update(key, t -> new TripletUpdate<>(pending, null, "written")
                .remembering("retryinterval", T0.plusSeconds(30))));
        assertEquals(Optional.of(pending), store.update(key, t -> new TripletUpdate<>(null, null, t)));
        assertEquals(Map.of("retryinterval", T0.plusSeconds(30)), store.rememberedBehaviours("192.0.2.0/24"));
        assertEquals(Map.of(), store.rememberedBehaviours("198.51.100.0/24"));
        assertEquals(Optional.empty(), store.update(new TripletKey("192.0.2.0/24", "a@x", "c@y"),
                t -> new TripletUpdate<>(null, null, t)), "the whole key matters");
    }

    @Test
    void anUpdateThatThrowsWritesNothing() {
        TripletKey key = new TripletKey("192.0.2.7", "a@x", "b@y");
        RuntimeException boom = new IllegalStateException("boom");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> store.update(key, t -> {
            throw boom;
        }));
        assertSame(boom, thrown, "the decision's own exception reaches the caller");
        assertEquals(Optional.empty(), store.update(key, t -> new TripletUpdate<>(null, null, t)));
    }

    @Test
    void whitelistEntriesExpireAndAreRenewedByUse() {
        store.update(new TripletKey("192.0.2.7", "a@x", "b@y"),
                t -> new TripletUpdate<>(new Triplet(1, T0, T0, T0), T0, null));
        assertTrue(store.whitelisted("192.0.2.7", T0.plus(Duration.ofDays(30)), LIFETIME, Duration.ofHours(1)));
        // renewed at day 30: still valid at day 60
        assertTrue(store.whitelisted("192.0.2.7", T0.plus(Duration.ofDays(60)), LIFETIME, Duration.ofHours(1)));
        assertFalse(store.whitelisted("192.0.2.7", T0.plus(Duration.ofDays(97)), LIFETIME, Duration.ofHours(1)));
        assertFalse(store.whitelisted("192.0.2.8", T0, LIFETIME, Duration.ofHours(1)));
    }

    @Test
    void listsTripletsByStateClientSenderAndRecipient() throws Exception {
        traffic();
        assertEquals(3, admin.triplets(TripletFilter.ALL).size());
        assertEquals(2, admin.triplets(new TripletFilter(TripletFilter.State.PENDING, null, null, null)).size());
        List<GreydbAdmin.TripletRow> passed = admin.triplets(new TripletFilter(TripletFilter.State.PASSED, null, null, null));
        assertEquals(1, passed.size());
        assertEquals("192.0.2.1", passed.get(0).key().client());
        assertEquals(1, admin.triplets(new TripletFilter(TripletFilter.State.ANY, Cidr.parse("198.51.100.0/24"), null, null)).size());
    }

    @Test
    void deletingAStuckTripletLetsTheNextAttemptStartOver() throws Exception {
        traffic();
        assertEquals(1, admin.deleteTriplets(new TripletFilter(TripletFilter.State.PENDING, Cidr.parse("198.51.100.3"), null, null)));
        assertEquals(Reason.FIRST_ATTEMPT, attempt("198.51.100.3", "spam@z.example", "c@y.example").reason());
    }

    @Test
    void listEntriesMadeByHandAreSeenByTheRunningEngine() throws Exception {
        admin.putListEntry(new ListEntry("203.0.113.0/24", true, T0, null, "spam run"));
        admin.putListEntry(new ListEntry("192.0.2.0/24", false, T0, T0.plus(Duration.ofDays(7)), "partner"));
        assertEquals(Action.REJECT, attempt("203.0.113.5", "a@x", "b@y").action());
        assertEquals(Reason.WHITELISTED, attempt("192.0.2.50", "a@x", "b@y").reason());
        assertEquals(List.of(new ListEntry("203.0.113.0/24", true, T0, null, "spam run")), admin.blacklist());
        GreydbAdmin.WhitelistRow w = admin.whitelist().get(0);
        assertEquals("admin", w.source());
        assertEquals(T0.plus(Duration.ofDays(7)), w.expires());
        assertEquals(2, store.adminEntries().size());

        assertTrue(admin.removeListEntry(true, "203.0.113.0/24"));
        assertFalse(admin.removeListEntry(true, "203.0.113.0/24"));
        clock.advance(Duration.ofSeconds(6)); // the engine re-reads the lists every few seconds
        assertEquals(Reason.FIRST_ATTEMPT, attempt("203.0.113.5", "a@x", "b@y").reason());
    }

    @Test
    void statsCountWhatIsLiveAndTimeTheWaits() throws Exception {
        assertNull(admin.stats(T0, WINDOW, LIFETIME).medianTimeToPass(), "an empty greydb has no timings");
        traffic();
        GreydbAdmin.Stats s = admin.stats(clock.instant(), WINDOW, LIFETIME);
        assertEquals(new GreydbAdmin.Stats(2, 1, 1, 0, 0, Duration.ofMinutes(10), Duration.ofMinutes(10),
                List.of(new GreydbAdmin.NetworkRefusals("192.0.2.0/24", 2),
                        new GreydbAdmin.NetworkRefusals("198.51.100.0/24", 1))), s);

        clock.advance(WINDOW); // the pending ones expire; the passed one lives on
        GreydbAdmin.Stats later = admin.stats(clock.instant(), WINDOW, LIFETIME);
        assertEquals(0, later.pending());
        assertEquals(1, later.passed());
    }

    @Test
    void purgeRemovesExpiredRowsOnly() throws Exception {
        traffic();
        store.update(new TripletKey("192.0.2.2", "x@y", "z@w"),
                t -> new TripletUpdate<>(new Triplet(1, T0, T0, null), null, null).remembering("retryinterval", T0));
        admin.putListEntry(new ListEntry("203.0.113.0/24", true, T0, T0.plus(Duration.ofHours(1)), null));
        assertEquals(0, engine.purgeExpired(), "nothing has expired yet");
        clock.advance(WINDOW);
        // two pending triplets of traffic(), the one above, its behaviour, the blacklist entry
        assertEquals(5, admin.purgeExpired(clock.instant(), WINDOW, LIFETIME));
        assertEquals(1, admin.triplets(TripletFilter.ALL).size());
        assertEquals(1, admin.whitelist().size(), "the admin still works after the purge");
        clock.advance(LIFETIME);
        mailWentOn();
        assertEquals(2, store.purgeExpired(clock.instant(), WINDOW, LIFETIME), "the passed triplet and its whitelist entry");
        assertEquals(1, admin.triplets(TripletFilter.ALL).size(), "the one of the mail since");
    }

    /**
     * A triplet passed two days before the clock: a greydb unused for a whole lifetime is what a clock set ahead
     * leaves, and the purge keeps its rows then (PurgeClock).
     */
    private void mailWentOn() {
        Instant before = clock.instant().minus(Duration.ofDays(2));
        store.update(new TripletKey("192.0.2.99", "ongoing@x", "y@z"),
                t -> new TripletUpdate<>(new Triplet(1, before, before, before), null, null));
    }

    @Test
    void rowsWrittenByAClockYearsAheadExpireTheirLifetimeAfterThePurgeThatSeesThem() {
        Instant ahead = T0.plus(Duration.ofDays(5 * 365));
        store.update(new TripletKey("192.0.2.2", "x@y", "z@w"),
                t -> new TripletUpdate<>(new Triplet(1, ahead, ahead, null), null, null).remembering("retryinterval", ahead));
        store.update(new TripletKey("192.0.2.3", "x@y", "z@w"),
                t -> new TripletUpdate<>(new Triplet(1, ahead, ahead, ahead), ahead, null));
        assertEquals(0, store.purgeExpired(clock.instant(), WINDOW, LIFETIME));
        clock.advance(WINDOW);
        assertEquals(2, store.purgeExpired(clock.instant(), WINDOW, LIFETIME), "the pending triplet and the behaviour");
        clock.advance(LIFETIME);
        mailWentOn();
        assertEquals(2, store.purgeExpired(clock.instant(), WINDOW, LIFETIME), "the passed triplet and its whitelist entry");
    }

    @Test
    void decisionsSurviveReopening() throws Exception {
        attempt("192.0.2.1", "a@x", "b@y");
        store.close();
        store = GreylistStores.open(location, options());
        engine = engine(SuspicionPolicy.NONE);
        clock.advance(Duration.ofMinutes(6));
        assertEquals(Reason.PASSED, attempt("192.0.2.1", "a@x", "b@y").reason());
    }
}
