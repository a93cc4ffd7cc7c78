package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.greylite.testing.MutableClock;
import org.greylite.greylist.Verdict.Action;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoreException;
import org.greylite.store.Triplet;
import org.greylite.store.TripletKey;
import org.greylite.store.TripletUpdate;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.RuleMatch;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The algorithm of SPEC §3 against a real greydb file. */
class GreylisterTest {

    static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    static final Duration MIN_DELAY = GreylistSettings.DEFAULT_MIN_DELAY;
    static final Duration WINDOW = GreylistSettings.DEFAULT_RETRY_WINDOW;
    static final Duration LIFETIME = GreylistSettings.DEFAULT_WHITELIST_LIFETIME;
    static final RuleMatch RULE = new RuleMatch("/etc/greylite/suspicion", 3, "2 r ^$");

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

    private Greylister greylister(SuspicionPolicy policy) {
        return greylister(policy, GreylistSettings.defaults());
    }

    private Greylister greylister(SuspicionPolicy policy, GreylistSettings settings) {
        return new Greylister(store, policy, settings, clock, (r, v) -> told.add(v));
    }

    static RcptRequest rcpt(String ip, String from, String to) {
        return rcpt(ip, from, to, null);
    }

    static RcptRequest rcpt(String ip, String from, String to, String skip) {
        try {
            return new RcptRequest(ip.startsWith("::ffff:") ? ClientKeysTest.mapped(ip.substring(7)) : InetAddress.getByName(ip),
                    new ClientFacts(ip, "", "mx.example.net", from, to, Map.of(), Set.of()), skip);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private void later(Duration d) {
        clock.advance(d);
    }

    private long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<Object> row(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            List<Object> out = new ArrayList<>();
            if (rs.next()) {
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    Object o = rs.getObject(i);
                    out.add(o instanceof Number n ? (Object) n.longValue() : o); // SQLite gives Integer or Long by size
                }
            }
            return out;
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static void assertVerdict(Action action, Reason reason, Verdict v) {
        assertVerdict(action, reason, v, "");
    }

    private static void assertVerdict(Action action, Reason reason, Verdict v, String why) {
        assertEquals(action, v.action(), why + " " + v);
        assertEquals(reason, v.reason(), why + " " + v);
    }

    // ---------------------------------------------------------------- the double attempt

    @Test
    void aFirstAttemptIsRefusedAndRecorded() throws Exception {
        Verdict v = greylister(SuspicionPolicy.NONE).decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, v);
        assertEquals("192.0.2.0/24", v.clientKey());
        assertEquals(1, v.attempt());
        assertEquals(1, v.refusalsNeeded());
        assertEquals(300, v.retryAfterSeconds());
        assertNull(v.rule());
        assertEquals(List.of(v), told, "the listener hears of the decision");

        long t0 = T0.getEpochSecond();
        assertEquals(List.of("192.0.2.0/24", "a@example.net", "b@example.org", 1L, t0, t0),
                row("SELECT client, sender, recipient, refusals, first_seen, last_seen FROM triplet"));
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NOT NULL"));
        assertEquals(0, count("SELECT COUNT(*) FROM whitelist"));
    }

    @Test
    void anEarlyRetryIsRefusedAndNotCounted() throws Exception {
        Greylister g = greylister(SuspicionPolicy.NONE);
        g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        later(MIN_DELAY.minusSeconds(1));
        Verdict v = g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        assertVerdict(Action.GREYLIST, Reason.EARLY_RETRY, v);
        assertEquals(1, v.retryAfterSeconds());
        assertEquals(List.of(1L, T0.getEpochSecond()), row("SELECT refusals, last_seen FROM triplet"),
                "an uncounted retry changes nothing");
    }

    @Test
    void aQuotedOrSourceRoutedAddressIsTheMailboxTheUpstreamDeliversTo() throws Exception {
        // "zero"@ and @relay:zero@ are zero@ (RFC 5321): one triplet, and the rules see zero@. Keyed as written,
        // each spelling was a first attempt of its own, and quoting stepped round an e line's r:^zero@.
        Greylister g = greylister(SuspicionPolicy.NONE);
        g.decide(rcpt("192.0.2.7", "a@example.net", "zero@example.org"));
        later(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED,
                g.decide(rcpt("192.0.2.8", "\"a\"@example.net", "@relay.example:\"zero\"@example.org")));
        assertEquals(List.of(1L), row("SELECT COUNT(*) FROM triplet"));
        ClientFacts facts = rcpt("192.0.2.9", "\"a\"@example.net", "@relay.example:zero@example.org").facts();
        assertEquals("a@example.net", facts.sender());
        assertEquals("zero@example.org", facts.recipient());
    }

    @Test
    void aRetryAfterTheMinimumDelayPassesAndWhitelistsTheClient() throws Exception {
        Greylister g = greylister(SuspicionPolicy.NONE);
        g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        later(MIN_DELAY.minusSeconds(1));
        g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        later(Duration.ofSeconds(1));
        Verdict v = g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        assertVerdict(Action.ACCEPT, Reason.PASSED, v);
        assertEquals(2, v.attempt());
        long passed = T0.plus(MIN_DELAY).getEpochSecond();
        assertEquals(List.of(1L, passed, passed), row("SELECT refusals, last_seen, passed_at FROM triplet"));
        assertEquals(List.of("192.0.2.0/24", "auto", passed), row("SELECT client, source, last_seen FROM whitelist"));

        Verdict other = g.decide(rcpt("192.0.2.200", "c@example.com", "d@example.org"));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, other);
        assertEquals(1, count("SELECT COUNT(*) FROM triplet"), "a whitelisted client's triplets are not recorded");
    }

    @Test
    void nTwoNeedsTwoCountedRefusals() throws Exception {
        Greylister g = greylister(f -> new Suspicion(2, RULE));
        RcptRequest r = rcpt("192.0.2.7", "a@example.net", "b@example.org");
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(r));
        later(MIN_DELAY);
        Verdict second = g.decide(r);
        assertVerdict(Action.GREYLIST, Reason.MORE_ATTEMPTS, second);
        assertEquals(2, second.attempt());
        assertEquals(2, second.refusalsNeeded());
        assertSame(RULE, second.rule());
        assertEquals(2, count("SELECT refusals FROM triplet"));

        later(MIN_DELAY.minusSeconds(100));
        assertVerdict(Action.GREYLIST, Reason.EARLY_RETRY, g.decide(r)); // counted from the last counted refusal
        later(Duration.ofSeconds(100));
        Verdict third = g.decide(r);
        assertVerdict(Action.ACCEPT, Reason.PASSED, third);
        assertEquals(3, third.attempt());
    }

    @Test
    void nZeroAcceptsAtOnce() throws Exception {
        Greylister g = greylister(f -> new Suspicion(0, RULE));
        Verdict v = g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        assertVerdict(Action.ACCEPT, Reason.NO_DELAY, v);
        assertEquals(0, v.refusalsNeeded());
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NOT NULL AND refusals = 0"));
        assertEquals(0, count("SELECT COUNT(*) FROM whitelist"), "a rule matched: suspicious even with N = 0");
        assertVerdict(Action.ACCEPT, Reason.KNOWN, g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org")));
    }

    @Test
    void nZeroWithoutARuleWhitelists() throws Exception {
        Greylister g = greylister(f -> new Suspicion(0, null));
        assertVerdict(Action.ACCEPT, Reason.NO_DELAY, g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org")));
        assertEquals(1, count("SELECT COUNT(*) FROM whitelist"));
    }

    @Test
    void aSuspiciousClientIsNeverWhitelisted() throws Exception {
        // Suspicious for some recipients only: the rules are evaluated on every attempt.
        Greylister g = greylister(f -> f.recipient().startsWith("x") ? new Suspicion(1, RULE) : Suspicion.NONE);
        RcptRequest r = rcpt("192.0.2.7", "a@example.net", "x@example.org");
        g.decide(r);
        later(MIN_DELAY);
        Verdict passed = g.decide(r);
        assertVerdict(Action.ACCEPT, Reason.PASSED, passed);
        assertSame(RULE, passed.rule());
        assertEquals(0, count("SELECT COUNT(*) FROM whitelist"));

        later(Duration.ofHours(2));
        assertVerdict(Action.ACCEPT, Reason.KNOWN, g.decide(r));
        assertEquals(0, count("SELECT COUNT(*) FROM whitelist"), "not on later deliveries either");
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "a@example.net", "y@example.org")),
                "its other triplets are greylisted");
    }

    @Test
    void aWhitelistedClientIsNotReExamined() {
        Greylister plain = greylister(SuspicionPolicy.NONE);
        plain.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        later(MIN_DELAY);
        plain.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        // N is computed before the greydb is asked (outside its transaction), but a whitelisted client's N
        // decides nothing: the strictest rule still lets it through.
        Greylister strict = greylister(f -> new Suspicion(9, RULE));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, strict.decide(rcpt("192.0.2.8", "z@example.com", "b@example.org")));
    }

    // ---------------------------------------------------------------- lifetimes

    @Test
    void aPendingTripletOlderThanTheRetryWindowIsAFirstAttemptAgain() throws Exception {
        Greylister g = greylister(f -> new Suspicion(1, RULE)); // suspicious: no whitelist in the way
        RcptRequest slow = rcpt("192.0.2.7", "a@example.net", "slow@example.org");
        RcptRequest inTime = rcpt("192.0.2.7", "a@example.net", "intime@example.org");
        g.decide(slow);
        g.decide(inTime);
        later(WINDOW.minusSeconds(1));
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(inTime));
        later(Duration.ofSeconds(1));
        Verdict v = g.decide(slow);
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, v);
        assertEquals(List.of(1L, clock.instant().getEpochSecond()),
                row("SELECT refusals, first_seen FROM triplet WHERE recipient = 'slow@example.org'"));
    }

    @Test
    void aWhitelistEntryUnusedForItsLifetimeNoLongerCounts() {
        Greylister g = greylister(SuspicionPolicy.NONE);
        g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org"));
        later(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org")));
        later(LIFETIME.minusSeconds(1));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("192.0.2.7", "c@example.net", "d@example.org")));
        // That use renewed the entry: it lives a whole lifetime from now.
        later(LIFETIME.minusSeconds(1));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("192.0.2.7", "e@example.net", "f@example.org")));
        later(LIFETIME);
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "g@example.net", "h@example.org")));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "a@example.net", "b@example.org")),
                "the passed triplet expired with it");
    }

    @Test
    void aPassedTripletLivesFromItsLastDelivery() {
        Greylister g = greylister(f -> new Suspicion(1, RULE)); // suspicious: only the triplet counts
        RcptRequest r = rcpt("192.0.2.7", "a@example.net", "b@example.org");
        g.decide(r);
        later(MIN_DELAY);
        g.decide(r);
        later(LIFETIME.minusDays(1));
        assertVerdict(Action.ACCEPT, Reason.KNOWN, g.decide(r));
        later(LIFETIME.minusDays(1));
        assertVerdict(Action.ACCEPT, Reason.KNOWN, g.decide(r));
        later(LIFETIME);
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(r));
    }

    @Test
    void purgeRemovesExactlyTheExpiredRows() throws Exception {
        SuspicionPolicy botIsSuspicious = f -> f.address().startsWith("10.1.") ? new Suspicion(1, RULE) : Suspicion.NONE;
        Greylister g = greylister(botIsSuspicious);
        long t0 = T0.getEpochSecond();
        g.decide(rcpt("10.0.0.1", "a@x", "a1@y"));                        // A: pending from T0
        g.decide(rcpt("10.1.0.1", "b@x", "b1@y"));                        // B: suspicious
        later(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("10.1.0.1", "b@x", "b1@y"))); // passed at T0+5m
        g.decide(rcpt("10.2.0.1", "c@x", "c1@y"));                        // C: first at T0+5m
        later(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("10.2.0.1", "c@x", "c1@y"))); // passed and whitelisted at T0+10m
        clock.set(T0.plus(Duration.ofHours(23)));
        g.decide(rcpt("10.3.0.1", "d@x", "d1@y"));                        // D: pending from T0+23h
        execute("INSERT INTO whitelist (client, source, created, last_seen, expires) VALUES"
                + " ('10.8.0.0/24', 'admin', " + t0 + ", " + t0 + ", " + (t0 + 86400) + "),"
                + " ('10.9.0.0/24', 'admin', " + t0 + ", " + t0 + ", NULL)");
        assertEquals(4, count("SELECT COUNT(*) FROM triplet"));
        assertEquals(3, count("SELECT COUNT(*) FROM whitelist"));

        clock.set(T0.plus(WINDOW).minusSeconds(1));
        assertEquals(0, g.purgeExpired());

        clock.set(T0.plus(WINDOW)); // A's window is over, and the first admin entry's expiry reached
        assertEquals(2, g.purgeExpired());
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE recipient = 'a1@y'"));
        assertEquals(3, count("SELECT COUNT(*) FROM triplet"));
        assertEquals(0, count("SELECT COUNT(*) FROM whitelist WHERE client = '10.8.0.0/24'"));

        clock.set(T0.plus(MIN_DELAY).plus(LIFETIME)); // B's passed triplet and D's pending one
        assertEquals(2, g.purgeExpired());
        assertEquals(List.of("c1@y"), row("SELECT recipient FROM triplet"));

        // Mail goes on meanwhile: a greydb unused for a whole lifetime is what a clock set ahead leaves (PurgeClock).
        execute("INSERT INTO whitelist (client, source, created, last_seen) VALUES ('10.7.0.0/24', 'auto', "
                + (t0 + Duration.ofDays(30).getSeconds()) + ", " + (t0 + Duration.ofDays(30).getSeconds()) + ")");
        clock.set(T0.plus(MIN_DELAY.multipliedBy(2)).plus(LIFETIME)); // C's triplet and its whitelist entry
        assertEquals(2, g.purgeExpired());
        assertEquals(0, count("SELECT COUNT(*) FROM triplet"));
        assertEquals(List.of("10.9.0.0/24"), row("SELECT client FROM whitelist WHERE source = 'admin'"),
                "an admin entry without expiry stays");

        clock.set(T0.plus(Duration.ofDays(3650)));
        assertEquals(0, g.purgeExpired(), "ten years on, the last use a month after T0: the clock may be set ahead");
        assertEquals(1, count("SELECT COUNT(*) FROM whitelist WHERE client = '10.7.0.0/24'"));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("10.9.0.77", "q@x", "r@y")));
    }

    @Test
    void anAdminEntryPastItsExpiryDoesNotCount() throws Exception {
        long t0 = T0.getEpochSecond();
        execute("INSERT INTO whitelist (client, source, created, last_seen, expires) VALUES ('192.0.2.0/24', 'admin', "
                + t0 + ", " + t0 + ", " + (t0 + 60) + ")");
        Greylister g = greylister(SuspicionPolicy.NONE);
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("192.0.2.7", "a@x", "b@y")));
        later(Duration.ofSeconds(60));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "a@x", "b@y")));
    }

    // ---------------------------------------------------------------- keys

    @Test
    void addressesCompareCaseInsensitively() throws Exception {
        Greylister g = greylister(SuspicionPolicy.NONE);
        g.decide(rcpt("192.0.2.7", "Alice@Example.NET", "BOB@example.org"));
        assertEquals(List.of("alice@example.net", "bob@example.org"), row("SELECT sender, recipient FROM triplet"));
        later(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("192.0.2.7", "alice@example.net", "Bob@Example.Org")));
    }

    @Test
    void theNullSenderIsATripletOfItsOwn() throws Exception {
        Greylister g = greylister(f -> new Suspicion(1, RULE));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "", "b@example.org")));
        assertEquals(List.of(""), row("SELECT sender FROM triplet"));
        later(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("192.0.2.7", "", "b@example.org")));
    }

    @Test
    void networkModeLetsARetryComeFromAnotherAddressOfThePool() {
        Greylister g = greylister(f -> new Suspicion(1, RULE));
        g.decide(rcpt("192.0.2.7", "a@x", "b@y"));
        g.decide(rcpt("2001:db8:0:1::25", "a@x", "b@y"));
        g.decide(rcpt("::ffff:198.51.100.9", "a@x", "b@y"));
        later(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("192.0.2.250", "a@x", "b@y")));
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("2001:db8:0:1:ffff::1", "a@x", "b@y")));
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("198.51.100.77", "a@x", "b@y")));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.3.7", "a@x", "b@y")));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("2001:db8:0:2::25", "a@x", "b@y")));
    }

    @Test
    void addressModeDoesNot() throws Exception {
        Greylister g = greylister(f -> new Suspicion(1, RULE),
                GreylistSettings.defaults().withClientKeys(ClientKeys.exactAddresses()));
        g.decide(rcpt("192.0.2.7", "a@x", "b@y"));
        later(MIN_DELAY);
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.8", "a@x", "b@y")));
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("::ffff:192.0.2.7", "a@x", "b@y")));
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE client = '192.0.2.7'"));
    }

    // ---------------------------------------------------------------- skipping and failures

    @Test
    void aSkipReasonAcceptsWithoutTouchingTheStore() {
        GreylistStore untouchable = new FailingStore(false) {
            @Override
            public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
                throw new AssertionError("store read for a skipped RCPT");
            }

            @Override
            public <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision) {
                throw new AssertionError("store written for a skipped RCPT");
            }
        };
        Greylister g = new Greylister(untouchable, f -> {
            throw new AssertionError("suspicion evaluated for a skipped RCPT");
        }, GreylistSettings.defaults(), clock, (r, v) -> told.add(v));
        Verdict v = g.decide(rcpt("192.0.2.7", "a@x", "b@y", "authenticated"));
        assertVerdict(Action.ACCEPT, Reason.SKIPPED, v);
        assertEquals("192.0.2.0/24", v.clientKey());
        assertEquals(List.of(v), told);
    }

    @Test
    void aSkipReasonWritesNothingToARealStore() throws Exception {
        Greylister g = greylister(SuspicionPolicy.NONE);
        assertVerdict(Action.ACCEPT, Reason.SKIPPED, g.decide(rcpt("192.0.2.7", "a@x", "b@y", "RELAYCLIENT")));
        assertEquals(0, count("SELECT COUNT(*) FROM triplet"));
        assertEquals(0, count("SELECT COUNT(*) FROM whitelist"));
    }

    @Test
    void aClosedStoreFailsOpenByDefault() {
        Greylister g = greylister(SuspicionPolicy.NONE);
        store.close();
        Verdict v = g.decide(rcpt("192.0.2.7", "a@x", "b@y"));
        assertVerdict(Action.ACCEPT, Reason.STORE_ERROR, v);
        assertEquals("192.0.2.0/24", v.clientKey());
        assertEquals(List.of(v), told, "the failure is told to the listener (the metrics)");
    }

    @Test
    void aClosedStoreFailsClosedWhenSoConfigured() {
        Greylister g = greylister(SuspicionPolicy.NONE, GreylistSettings.defaults().withFailOpen(false));
        store.close();
        assertVerdict(Action.TEMPFAIL, Reason.STORE_ERROR, g.decide(rcpt("192.0.2.7", "a@x", "b@y")));
    }

    @Test
    void aFailingUpdateFailsOpenOrClosed() {
        Greylister open = new Greylister(new FailingStore(true), SuspicionPolicy.NONE, GreylistSettings.defaults(), clock,
                DecisionListener.NONE);
        assertVerdict(Action.ACCEPT, Reason.STORE_ERROR, open.decide(rcpt("192.0.2.7", "a@x", "b@y")));
        Greylister closed = new Greylister(new FailingStore(true), SuspicionPolicy.NONE,
                GreylistSettings.defaults().withFailOpen(false), clock, DecisionListener.NONE);
        assertVerdict(Action.TEMPFAIL, Reason.STORE_ERROR, closed.decide(rcpt("192.0.2.7", "a@x", "b@y")));
    }

    @Test
    void aDatabaseThatIsNotAGreydbFailsOpen() throws Exception {
        Greylister g = greylister(SuspicionPolicy.NONE);
        execute("DROP TABLE triplet");
        assertVerdict(Action.ACCEPT, Reason.STORE_ERROR, g.decide(rcpt("192.0.2.7", "a@x", "b@y")));
    }

    // ---------------------------------------------------------------- administrators' lists

    @Test
    void blacklistedBlocksAreRefusedAndTheMoreSpecificWhitelistWins() throws Exception {
        long t0 = T0.getEpochSecond();
        execute("INSERT INTO blacklist (client, created, comment) VALUES ('198.51.100.0/24', " + t0 + ", 'spam run')");
        execute("INSERT INTO whitelist (client, source, created, last_seen) VALUES ('198.51.100.25', 'admin', " + t0 + ", " + t0 + ")");
        execute("INSERT INTO blacklist (client, created, expires) VALUES ('203.0.113.0/24', " + t0 + ", " + (t0 + 60) + ")");
        execute("INSERT INTO whitelist (client, source, created, last_seen) VALUES ('2001:db8::/32', 'admin', " + t0 + ", " + t0 + ")");
        Greylister g = greylister(SuspicionPolicy.NONE);
        assertVerdict(Action.REJECT, Reason.BLACKLISTED, g.decide(rcpt("198.51.100.7", "a@x", "b@y")));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("198.51.100.25", "a@x", "b@y")));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("2001:db8:5::1", "a@x", "b@y")));
        assertVerdict(Action.REJECT, Reason.BLACKLISTED, g.decide(rcpt("203.0.113.9", "a@x", "b@y")));
        clock.advance(Duration.ofSeconds(61)); // that entry expired
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("203.0.113.9", "a@x", "b@y")));
    }

    @Test
    void anEntryMadeWhileRunningCountsWithinSeconds() throws Exception {
        Greylister g = greylister(SuspicionPolicy.NONE);
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.66", "a@x", "b@y")));
        execute("INSERT INTO blacklist (client, created) VALUES ('192.0.2.66', " + T0.getEpochSecond() + ")");
        clock.advance(Greylister.ADMIN_LIST_REFRESH);
        assertVerdict(Action.REJECT, Reason.BLACKLISTED, g.decide(rcpt("192.0.2.66", "a@x", "b@y")));
    }

    // ---------------------------------------------------------------- client identity

    private static RcptRequest fromHost(String ip, String ptr, String from, String to) {
        try {
            return new RcptRequest(InetAddress.getByName(ip), new ClientFacts(ip, ptr, "helo", from, to, null, null), null);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void smartIdentityLetsAPoolRetryFromAnotherAddressOfTheSameDomain() {
        Greylister g = greylister(SuspicionPolicy.NONE); // smart is the default
        Verdict first = g.decide(fromHost("209.85.220.41", "mail-sor-f41.google.com", "a@gmail.com", "b@y"));
        assertEquals("google.com", first.clientKey());
        clock.advance(MIN_DELAY);
        Verdict retry = g.decide(fromHost("74.125.82.171", "mail-wm1-f171.google.com", "a@gmail.com", "b@y"));
        assertVerdict(Action.ACCEPT, Reason.PASSED, retry);
    }

    @Test
    void smartIdentityDoesNotTrustDynamicLookingNames() {
        Greylister g = greylister(SuspicionPolicy.NONE);
        Verdict first = g.decide(fromHost("203.0.113.7", "203-0-113-7.dsl.isp.example", "a@x", "b@y"));
        assertEquals("203.0.113.0/24", first.clientKey(), "a dynamic name falls back to the network");
        clock.advance(MIN_DELAY);
        Verdict other = g.decide(fromHost("198.51.100.9", "pool-198-51-100-9.isp.example", "a@x", "b@y"));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, other);
    }

    @Test
    void ipIdentityGreylistsEveryPoolAddressAgain() {
        Greylister g = greylister(SuspicionPolicy.NONE, GreylistSettings.defaults().withClientKeys(ClientKeys.exactAddresses()));
        g.decide(fromHost("209.85.220.41", "mail-sor-f41.google.com", "a@gmail.com", "b@y"));
        clock.advance(MIN_DELAY);
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT,
                g.decide(fromHost("74.125.82.171", "mail-wm1-f171.google.com", "a@gmail.com", "b@y")));
    }

    @Test
    void knownSendersSkipGreylistingByTheirConfirmedName() {
        Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, (r, v) -> told.add(v),
                KnownSenders.parse("test", List.of("suffix amazonses.com Amazon SES pool")));
        assertVerdict(Action.ACCEPT, Reason.KNOWN_SENDER,
                g.decide(fromHost("54.240.48.108", "a48-108.smtp-out.amazonses.com", "x@y.example", "b@y")));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT,
                g.decide(fromHost("54.240.48.108", "", "x@y.example", "b@y")));
    }

    // ---------------------------------------------------------------- senders and recipients

    @Test
    void postmasterAndAbuseAreNeverGreylisted() {
        Greylister g = greylister(SuspicionPolicy.NONE);
        assertVerdict(Action.ACCEPT, Reason.EXEMPT_RECIPIENT, g.decide(rcpt("192.0.2.7", "a@x", "PostMaster@example.org")));
        assertVerdict(Action.ACCEPT, Reason.EXEMPT_RECIPIENT, g.decide(rcpt("192.0.2.7", "a@x", "postmaster")));
        assertVerdict(Action.ACCEPT, Reason.EXEMPT_RECIPIENT, g.decide(rcpt("192.0.2.7", "a@x", "abuse@example.org")));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "a@x", "postmaster2@example.org")));
        Greylister strict = greylister(SuspicionPolicy.NONE, GreylistSettings.defaults().withExemptRecipients(Set.of()));
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, strict.decide(rcpt("192.0.2.8", "a@x", "abuse@example.org")));
    }

    @Test
    void retriesWithFreshBatvTagsMatchTheirFirstAttempt() {
        Greylister g = greylister(SuspicionPolicy.NONE);
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "prvs=1234abcd=alice@x.example", "b@y")));
        clock.advance(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED, g.decide(rcpt("192.0.2.7", "prvs=9876fedc=alice@x.example", "b@y")));
    }

    @Test
    void withoutNormalisationEveryTagIsANewTriplet() {
        Greylister g = greylister(SuspicionPolicy.NONE, GreylistSettings.defaults().withNormalizeSenders(false));
        g.decide(rcpt("192.0.2.7", "bounce-1111@lists.example", "b@y"));
        clock.advance(MIN_DELAY);
        assertVerdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "bounce-2222@lists.example", "b@y")));
    }

    // ---------------------------------------------------------------- retryinterval

    /** Trap clients that retry too fast, as greylite(8)'s example does: "100 b retryinterval". */
    private static final RuleMatch TRAP = new RuleMatch("suspicion", 9, "100 b retryinterval");
    private static final SuspicionPolicy RETRY_TRAP = f -> f.behaviours().contains(org.greylite.suspicion.Behaviour.RETRYINTERVAL)
            ? new Suspicion(100, TRAP) : Suspicion.NONE;

    @Test
    void aRetryFasterThanGreylitesScheduleShowsRetryIntervalAndIsRemembered() {
        Greylister g = greylister(RETRY_TRAP);
        assertEquals(Reason.FIRST_ATTEMPT, g.decide(rcpt("192.0.2.7", "bot@x", "a@y")).reason());
        clock.advance(Duration.ofSeconds(10)); // n = 1 refusal: a retry needs 20 s
        Verdict fast = g.decide(rcpt("192.0.2.7", "bot@x", "a@y"));
        assertEquals(TRAP, fast.rule());
        assertEquals(100, fast.refusalsNeeded());

        // Another triplet of the same client, an hour later, on another connection: still trapped.
        clock.advance(Duration.ofHours(1));
        Verdict later = g.decide(rcpt("192.0.2.8", "bot@x", "other@y"));
        assertEquals(TRAP, later.rule(), "the behaviour is remembered for the client key");
        assertEquals(Action.GREYLIST, later.action());

        // Forgotten once the retry window has passed without a new offence.
        clock.advance(WINDOW);
        Verdict forgiven = g.decide(rcpt("192.0.2.7", "bot@x", "third@y"));
        assertNull(forgiven.rule());
    }

    @Test
    void retriesThatKeepToTheScheduleAreNotRetryInterval() {
        Greylister g = greylister(RETRY_TRAP);
        g.decide(rcpt("192.0.2.7", "mta@x", "a@y"));
        clock.advance(Duration.ofSeconds(21)); // n = 1: 20 s is enough for the schedule (min-delay still refuses)
        Verdict early = g.decide(rcpt("192.0.2.7", "mta@x", "a@y"));
        assertEquals(Reason.EARLY_RETRY, early.reason());
        assertNull(early.rule());
        clock.advance(MIN_DELAY);
        assertEquals(Action.ACCEPT, g.decide(rcpt("192.0.2.7", "mta@x", "a@y")).action());
    }

    @Test
    void theScheduleIsGreylites() {
        assertEquals(Duration.ofSeconds(20), RetrySchedule.minimumSinceFirst(1));
        assertEquals(Duration.ofSeconds(200), RetrySchedule.minimumSinceFirst(2));
        assertEquals(Duration.ofSeconds(500), RetrySchedule.minimumSinceFirst(3));
        assertEquals(Duration.ofSeconds(1500), RetrySchedule.minimumSinceFirst(5));
    }

    /** A store whose whitelist is empty and whose updates fail (or, with false, that does nothing). */
    static class FailingStore implements GreylistStore {
        private final boolean fail;

        FailingStore(boolean fail) {
            this.fail = fail;
        }

        /** One decision, made of the finer operations below, so that a test overriding one of them sees it used. */
        @Override
        public <T> T decide(org.greylite.store.DecisionQuery q,
                            Function<org.greylite.store.StoredState, TripletUpdate<T>> transition) {
            String client = q.triplet().client();
            if (whitelisted(client, q.now(), q.lifetime(), q.renewAfter())) {
                return transition.apply(new org.greylite.store.StoredState(true, Map.of(), Optional.empty(),
                        org.greylite.store.StoredState.NONE_PENDING)).result();
            }
            Map<String, Instant> behaviours = rememberedBehaviours(client);
            return update(q.triplet(), row -> transition.apply(new org.greylite.store.StoredState(false, behaviours, row,
                    org.greylite.store.StoredState.NONE_PENDING)));
        }

        @Override
        public boolean claimPurge(Instant now, Duration interval) {
            return false;
        }

        @Override
        public int parallelism() {
            return 1;
        }

        @Override
        public <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision) {
            if (fail) {
                throw new StoreException("disk full");
            }
            return decision.apply(Optional.empty()).result();
        }

        @Override
        public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
            return false;
        }

        @Override
        public Map<String, Instant> rememberedBehaviours(String clientKey) {
            return Map.of();
        }

        @Override
        public List<org.greylite.store.ListEntry> adminEntries() {
            return List.of();
        }

        @Override
        public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
            return 0;
        }

        @Override
        public String describe() {
            return "failing";
        }

        @Override
        public void close() {
        }
    }

    // ---------------------------------------------------------------- answers from memory (network threads)

    /** A store whose whitelist holds every client, counting the queries. */
    static final class EverybodyWhitelisted extends FailingStore {
        int queries;

        EverybodyWhitelisted() {
            super(false);
        }

        @Override
        public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
            queries++;
            return true;
        }
    }

    @Test
    void aClientTheGreydbJustFoundWhitelistedIsAnsweredFromMemoryForASecond() {
        EverybodyWhitelisted greydb = new EverybodyWhitelisted();
        Greylister g = new Greylister(greydb, f -> new Suspicion(9, RULE), GreylistSettings.defaults(), clock,
                (r, v) -> told.add(v));
        assertNull(g.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")), "nothing known yet: the greydb must be asked");
        assertTrue(told.isEmpty(), "no answer, nothing logged");
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("192.0.2.7", "a@x", "b@y")));
        assertEquals(1, greydb.queries);

        later(Duration.ofMillis(999));
        told.clear();
        Verdict v = g.decideFromMemory(rcpt("192.0.2.200", "c@x", "d@y")); // another address of the same /24 key
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, v);
        assertEquals("192.0.2.0/24", v.clientKey());
        assertEquals(List.of(v), told, "logged and counted as any decision");
        assertEquals(1, greydb.queries, "answered without a query");
        assertNull(g.decideFromMemory(rcpt("198.51.100.7", "a@x", "b@y")), "another client is not known");

        later(Duration.ofMillis(1));
        assertNull(g.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")), "a second later the greydb is asked again");
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("192.0.2.7", "a@x", "b@y")));
        assertEquals(2, greydb.queries);
    }

    @Test
    void theMemoryOfWhitelistHitsLastsAsLongAsTheSettingsSayAndZeroTurnsItOff() {
        EverybodyWhitelisted greydb = new EverybodyWhitelisted();
        Greylister longer = new Greylister(greydb, SuspicionPolicy.NONE,
                GreylistSettings.defaults().withWhitelistMemory(Duration.ofSeconds(3)), clock, (r, v) -> told.add(v));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, longer.decide(rcpt("192.0.2.7", "a@x", "b@y")));
        later(Duration.ofMillis(2999)); // within the administrators' lists' refresh too (5 s)
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, longer.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")));
        later(Duration.ofMillis(1));
        assertNull(longer.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")), "three seconds later the greydb is asked again");

        Greylister off = new Greylister(greydb, SuspicionPolicy.NONE,
                GreylistSettings.defaults().withWhitelistMemory(Duration.ZERO), clock, (r, v) -> told.add(v));
        int before = greydb.queries;
        for (int i = 0; i < 3; i++) {
            assertNull(off.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")), "nothing is remembered");
            assertVerdict(Action.ACCEPT, Reason.WHITELISTED, off.decide(rcpt("192.0.2.7", "a@x", "b@y")));
        }
        assertEquals(before + 3, greydb.queries, "the greydb is asked at every RCPT");
        assertThrows(IllegalArgumentException.class, () -> GreylistSettings.defaults().withWhitelistMemory(Duration.ofSeconds(-1)));
    }

    @Test
    void theAdministratorsBlacklistComesBeforeARecentWhitelistHit() throws Exception {
        Greylister g = greylister(SuspicionPolicy.NONE);
        execute("INSERT INTO whitelist (client, source, created, last_seen) VALUES ('192.0.2.0/24', 'auto', "
                + T0.getEpochSecond() + ", " + T0.getEpochSecond() + ")");
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("192.0.2.7", "a@x", "b@y"))); // lists read at T0
        execute("INSERT INTO blacklist (client, created) VALUES ('192.0.2.7', " + T0.getEpochSecond() + ")");

        later(Greylister.ADMIN_LIST_REFRESH.minusMillis(500));
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decide(rcpt("192.0.2.7", "a@x", "b@y")),
                "the lists in memory are not due yet, for decide as before");
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")));

        later(Duration.ofMillis(500));
        assertNull(g.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")),
                "lists due for a reread: memory decides nothing, though the whitelist hit is 0.5 s old");
        assertVerdict(Action.REJECT, Reason.BLACKLISTED, g.decide(rcpt("192.0.2.7", "a@x", "b@y")));
        assertVerdict(Action.REJECT, Reason.BLACKLISTED, g.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")),
                "with the lists reread, the blacklist wins over the remembered whitelist hit");
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, g.decideFromMemory(rcpt("192.0.2.8", "a@x", "b@y")),
                "its neighbours in the whitelisted /24 are not blacklisted");
    }

    @Test
    void skipReasonsAndExemptRecipientsAreDecidedFromMemory() {
        GreylistStore untouchable = new FailingStore(true) {
            @Override
            public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
                throw new AssertionError("greydb asked");
            }

            @Override
            public List<org.greylite.store.ListEntry> adminEntries() {
                throw new AssertionError("greydb asked");
            }
        };
        Greylister g = new Greylister(untouchable, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, (r, v) -> told.add(v));
        assertVerdict(Action.ACCEPT, Reason.SKIPPED, g.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y", "RELAYCLIENT")));
        assertVerdict(Action.ACCEPT, Reason.EXEMPT_RECIPIENT, g.decideFromMemory(rcpt("192.0.2.7", "a@x", "postmaster@y")));
        assertNull(g.decideFromMemory(rcpt("192.0.2.7", "a@x", "b@y")), "the administrators' lists were never read");
        assertEquals(2, told.size());
    }

    // ---------------------------------------------------------------- durability

    @Test
    void aDecisionIsVisibleThroughAnotherConnection() throws Exception {
        greylister(SuspicionPolicy.NONE).decide(rcpt("192.0.2.7", "a@x", "b@y"));
        // Another process: its own connection to the same file, opened after the decision.
        try (GreylistStore other = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            Greylister g2 = new Greylister(other, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, DecisionListener.NONE);
            later(MIN_DELAY);
            assertVerdict(Action.ACCEPT, Reason.PASSED, g2.decide(rcpt("192.0.2.7", "a@x", "b@y")));
        }
        // ...and what the other one decided is seen here.
        assertVerdict(Action.ACCEPT, Reason.WHITELISTED, greylister(SuspicionPolicy.NONE).decide(rcpt("192.0.2.9", "c@x", "d@y")));
    }

    @Test
    void aDecisionSurvivesClosingAndReopening() {
        greylister(SuspicionPolicy.NONE).decide(rcpt("192.0.2.7", "a@x", "b@y"));
        store.close();
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
        later(MIN_DELAY);
        assertVerdict(Action.ACCEPT, Reason.PASSED, greylister(SuspicionPolicy.NONE).decide(rcpt("192.0.2.7", "a@x", "b@y")));
    }

    @Test
    void listenersAreChained() {
        List<String> heard = new ArrayList<>();
        DecisionListener first = (r, v) -> heard.add("first " + v.reason());
        Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock,
                first.andThen((r, v) -> heard.add("second " + r.recipient())));
        g.decide(rcpt("192.0.2.7", "a@x", "b@y"));
        assertEquals(List.of("first FIRST_ATTEMPT", "second b@y"), heard);
    }

    @Test
    void settingsRefuseARetryWindowNoRetryCouldMeet() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GreylistSettings.defaults().withRetryWindow(Duration.ofMinutes(5)));
        assertTrue(e.getMessage().contains("retry-window (5m) must be longer than min-delay (5m)"), e.getMessage());
        assertTrue(GreylistSettings.defaults().withMinDelay(Duration.ZERO).minDelay().isZero());
    }
}
