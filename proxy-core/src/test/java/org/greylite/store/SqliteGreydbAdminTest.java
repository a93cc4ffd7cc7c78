package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.testing.MutableClock;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.net.Cidr;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The administrators' view of a greydb the engine is writing through another connection. */
class SqliteGreydbAdminTest {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final Duration WINDOW = GreylistSettings.DEFAULT_RETRY_WINDOW;
    static final Duration LIFETIME = GreylistSettings.DEFAULT_WHITELIST_LIFETIME;

    @TempDir
    Path dir;

    final MutableClock clock = new MutableClock(T0);
    GreylistStore store;
    Greylister engine;
    GreydbAdmin admin;

    @BeforeEach
    void open() {
        Path db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
        engine = new Greylister(store, SuspicionPolicy.NONE,
                GreylistSettings.defaults().withClientKeys(org.greylite.greylist.ClientKeys.exactAddresses()), clock,
                (r, v) -> { });
        admin = GreylistStores.sqliteAdmin(db, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        admin.close();
        store.close();
    }

    private Verdict attempt(String ip, String from, String to) throws Exception {
        return engine.decide(new RcptRequest(InetAddress.getByName(ip),
                new ClientFacts(ip, "", "helo", from, to, null, null), null));
    }

    /** 192.0.2.1 passes a@x→b@y after 10 minutes; 192.0.2.2 and 198.51.100.3 stay pending. */
    private void traffic() throws Exception {
        attempt("192.0.2.1", "a@x.example", "b@y.example");
        attempt("192.0.2.2", "spam@z.example", "b@y.example");
        attempt("198.51.100.3", "spam@z.example", "c@y.example");
        clock.advance(Duration.ofMinutes(10));
        assertTrue(attempt("192.0.2.1", "a@x.example", "b@y.example").accepted());
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
        assertEquals(2, admin.triplets(new TripletFilter(TripletFilter.State.ANY, null,
                Pattern.compile("^spam@", Pattern.CASE_INSENSITIVE), null)).size());
        assertEquals(1, admin.triplets(new TripletFilter(TripletFilter.State.ANY, null, null, Pattern.compile("^c@"))).size());
    }

    @Test
    void deletingAStuckTripletLetsTheNextAttemptStartOver() throws Exception {
        traffic();
        int n = admin.deleteTriplets(new TripletFilter(TripletFilter.State.PENDING, Cidr.parse("198.51.100.3"), null, null));
        assertEquals(1, n);
        assertEquals(Verdict.Reason.FIRST_ATTEMPT, attempt("198.51.100.3", "spam@z.example", "c@y.example").reason());
    }

    @Test
    void listEntriesMadeByHandAreSeenByTheRunningEngine() throws Exception {
        admin.putListEntry(new ListEntry("203.0.113.0/24", true, T0, null, "spam run"));
        admin.putListEntry(new ListEntry("192.0.2.0/24", false, T0, T0.plus(Duration.ofDays(7)), "partner"));
        assertEquals(Verdict.Action.REJECT, attempt("203.0.113.5", "a@x", "b@y").action());
        assertEquals(Verdict.Reason.WHITELISTED, attempt("192.0.2.50", "a@x", "b@y").reason());
        assertEquals("spam run", admin.blacklist().get(0).comment());
        GreydbAdmin.WhitelistRow w = admin.whitelist().get(0);
        assertEquals("admin", w.source());
        assertEquals(T0.plus(Duration.ofDays(7)), w.expires());

        assertTrue(admin.removeListEntry(true, "203.0.113.0/24"));
        assertFalse(admin.removeListEntry(true, "203.0.113.0/24"));
        clock.advance(Duration.ofSeconds(6)); // the engine re-reads the lists every few seconds
        assertEquals(Verdict.Reason.FIRST_ATTEMPT, attempt("203.0.113.5", "a@x", "b@y").reason());
    }

    @Test
    void statsCountWhatIsLiveAndTimeTheWaits() throws Exception {
        traffic();
        GreydbAdmin.Stats s = admin.stats(clock.instant(), WINDOW, LIFETIME);
        assertEquals(2, s.pending());
        assertEquals(1, s.passed());
        assertEquals(1, s.whitelistAuto());
        assertEquals(Duration.ofMinutes(10), s.medianTimeToPass());
        assertEquals(Duration.ofMinutes(10), s.p95TimeToPass());
        assertEquals(1.0 / 3, s.passRate(), 1e-9);
        assertEquals(List.of(new GreydbAdmin.NetworkRefusals("192.0.2.0/24", 2), // one refusal each for .1 and .2
                new GreydbAdmin.NetworkRefusals("198.51.100.0/24", 1)), s.topRefused());

        clock.advance(WINDOW); // the pending ones expire; the passed one lives on
        GreydbAdmin.Stats later = admin.stats(clock.instant(), WINDOW, LIFETIME);
        assertEquals(0, later.pending());
        assertEquals(1, later.passed());
    }

    @Test
    void anEmptyGreydbHasNoTimings() {
        GreydbAdmin.Stats s = admin.stats(T0, WINDOW, LIFETIME);
        assertNull(s.medianTimeToPass());
        assertEquals(0.0, s.passRate());
        assertTrue(s.topRefused().isEmpty());
    }

    @Test
    void purgeRemovesExpiredRowsAndLeavesTheAdminUsable() throws Exception {
        traffic();
        clock.advance(WINDOW);
        assertEquals(2, admin.purgeExpired(clock.instant(), WINDOW, LIFETIME));
        assertEquals(1, admin.triplets(TripletFilter.ALL).size());
        assertEquals(1, admin.whitelist().size(), "the connection is still open after the purge");
    }
}
