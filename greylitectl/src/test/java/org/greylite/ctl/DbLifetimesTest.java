package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.testing.MiniJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylitectl judges a greydb by the lifetimes of the program that writes it, as that program's engine recorded
 * them, not by its own defaults: a greydaemon started with {@code -g 48 -t 60} keeps a pending triplet 48 hours
 * and a whitelist entry 60 days, and {@code db purge} must not delete them sooner.
 */
class DbLifetimesTest {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final GreylistSettings LONG = GreylistSettings.defaults().withClientKeys(ClientKeys.exactAddresses())
            .withRetryWindow(Duration.ofHours(48)).withWhitelistLifetime(Duration.ofDays(60));

    @TempDir
    Path dir;

    Path db;
    Map<String, String> env;
    GreylistStore store;

    @BeforeEach
    void open() {
        db = dir.resolve("greylite.db");
        env = Map.of("DBFILE", db.toString());
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Greylister engine(GreylistSettings settings, Instant now) {
        return Engines.on(store, settings, Clock.fixed(now, ZoneOffset.UTC));
    }

    private static Verdict decide(Greylister engine, String ip, String from, String to) {
        return Engines.decide(engine, ip, "", from, to);
    }

    /** A whitelist entry (and its passed triplet) 40 days old and a triplet pending for 30 hours, at T0 + 40 days. */
    private Instant rowsTheDefaultsWouldPurge(GreylistSettings settings) throws Exception {
        decide(engine(settings, T0), "192.0.2.1", "a@x.example", "b@y.example");
        assertEquals(Verdict.Reason.PASSED,
                decide(engine(settings, T0.plus(Duration.ofMinutes(10))), "192.0.2.1", "a@x.example", "b@y.example").reason());
        Instant now = T0.plus(Duration.ofDays(40)).plus(Duration.ofMinutes(10));
        decide(engine(settings, now.minus(Duration.ofHours(30))), "198.51.100.7", "c@x.example", "d@y.example");
        return now;
    }

    private Ctl.Run ctl(Map<String, String> env, Instant now, String... args) {
        return Ctl.run(env, Clock.fixed(now, ZoneOffset.UTC), args);
    }

    private long count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void purgeKeepsWhatTheWritingProgramsLifetimesKeep() throws Exception {
        Instant now = rowsTheDefaultsWouldPurge(LONG);

        Ctl.Run purge = ctl(env, now, "db", "purge");
        assertEquals(0, purge.exit(), purge.toString());
        assertEquals("purged 0 expired rows (retry window 2d (greydb), whitelist lifetime 60d (greydb))\n", purge.out());
        assertEquals(2, count("SELECT COUNT(*) FROM triplet"), "the passed and the pending triplet");
        assertEquals(1, count("SELECT COUNT(*) FROM whitelist"));

        Ctl.Run whitelist = ctl(env, now, "db", "list", "--whitelist", "--format", "json");
        assertEquals("2026-04-30T10:10:00Z", ((Map<?, ?>) ((java.util.List<?>) MiniJson.parse(whitelist.out())).get(0)).get("expires"),
                "60 days after its last use, as the engine counts it");

        Ctl.Run stats = ctl(env, now, "db", "stats");
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NULL"));
        assertTrue(stats.out().contains("triplets pending      1\n"), stats.out());
        assertTrue(stats.out().contains("retry window          2d (greydb)\n"), stats.out());
        assertTrue(stats.out().contains("whitelist lifetime    60d (greydb)\n"), stats.out());
        assertTrue(stats.out().contains("min delay             5m (greydb)\n"), stats.out());
    }

    /**
     * A triplet shows when it will be forgotten, as a whitelist entry does (SPEC §3.7): a pending one the retry window
     * after its first attempt, a passed one the whitelist lifetime after its last use. Before, no triplet showed it.
     */
    @Test
    void aTripletShowsWhenItExpiresByTheWritingProgramsLifetimes() throws Exception {
        Instant now = rowsTheDefaultsWouldPurge(LONG);

        Ctl.Run list = ctl(env, now, "db", "list", "--format", "json");

        assertEquals(0, list.exit(), list.toString());
        Map<String, Object> expires = new java.util.HashMap<>();
        for (Object row : (java.util.List<?>) MiniJson.parse(list.out())) {
            expires.put((String) ((Map<?, ?>) row).get("client"), ((Map<?, ?>) row).get("expires"));
        }
        assertEquals("2026-04-30T10:10:00Z", expires.get("192.0.2.1"), "passed: 60 days after its last use");
        assertEquals(now.minus(Duration.ofHours(30)).plus(Duration.ofHours(48)).toString(), expires.get("198.51.100.7"),
                "pending: 48 hours after its first attempt");
        Ctl.Run csv = ctl(env, now, "db", "list", "--pending", "--format", "csv");
        assertEquals("client,sender,recipient,state,refusals,first_seen,last_seen,passed_at,retry_counts_from,expires",
                csv.out().split("\r\n")[0], "the column the whitelist names so, last: scripts reading the others keep"
                        + " their places");
    }

    /**
     * A retry window no longer than min-delay, which every program refuses (no retry could ever pass), is refused
     * too: db purge with --retry-window 0 deleted every pending triplet, and clients retrying after min-delay were
     * refused anew as first attempts.
     */
    @Test
    void aRetryWindowNoLongerThanMinDelayIsRefusedAndNothingIsPurged() throws Exception {
        Instant now = rowsTheDefaultsWouldPurge(LONG);

        Ctl.Run purge = ctl(env, now, "db", "purge", "--retry-window", "0");
        assertEquals(2, purge.exit(), purge.toString());
        assertTrue(purge.err().contains("retry window 0s (--retry-window) must be longer than min-delay 5m (greydb)"),
                purge.toString());
        assertEquals(1, count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NULL"), "the pending triplet kept");

        Ctl.Run stats = ctl(Map.of("DBFILE", db.toString(), "GREYLITE_RETRY_WINDOW", "2m"), now, "db", "stats");
        assertEquals(2, stats.exit(), stats.toString());
        assertTrue(stats.err().contains("($GREYLITE_RETRY_WINDOW)"), stats.toString());
    }

    /** A whitelist lifetime of 0, which every program refuses: db purge deleted every passed triplet and auto entry. */
    @Test
    void aWhitelistLifetimeOfZeroIsRefusedAndNothingIsPurged() throws Exception {
        Instant now = rowsTheDefaultsWouldPurge(LONG);
        long passed = count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NOT NULL");
        long whitelisted = count("SELECT COUNT(*) FROM whitelist");

        Ctl.Run purge = ctl(env, now, "db", "purge", "--whitelist-lifetime", "0");

        assertEquals(2, purge.exit(), purge.toString());
        assertTrue(purge.err().contains("whitelist lifetime 0s (--whitelist-lifetime) must be longer than 0"), purge.toString());
        assertTrue(passed > 0 && whitelisted > 0, "rows a purge with 0 would delete");
        assertEquals(passed, count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NOT NULL"));
        assertEquals(whitelisted, count("SELECT COUNT(*) FROM whitelist"));
    }

    @Test
    void aFlagOrTheEnvironmentStillDecides() throws Exception {
        Instant now = rowsTheDefaultsWouldPurge(LONG);

        Ctl.Run stats = ctl(Map.of("DBFILE", db.toString(), "GREYLITE_WHITELIST_LIFETIME", "50d"), now,
                "db", "stats", "--format", "json");
        Map<?, ?> lifetimes = (Map<?, ?>) MiniJson.object(stats.out()).get("lifetimes");
        assertEquals(Map.of("seconds", 50L * 86400, "source", "$GREYLITE_WHITELIST_LIFETIME"),
                normalized(lifetimes.get("whitelist_lifetime")));
        assertEquals(Map.of("seconds", 48L * 3600, "source", "greydb"), normalized(lifetimes.get("retry_window")));

        Ctl.Run purge = ctl(env, now, "db", "purge", "--retry-window", "24h");
        assertEquals("purged 1 expired row (retry window 1d (--retry-window), whitelist lifetime 60d (greydb))\n",
                purge.out());
        assertEquals(0, count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NULL"), "the flag's 24 hours");
        assertEquals(1, count("SELECT COUNT(*) FROM whitelist"));

        // Mail went on: a greydb with no use from between a day and the lifetime before the clock is what a clock
        // set ahead leaves, and the purge would keep its rows (PurgeClock).
        decide(engine(LONG, now.minus(Duration.ofHours(25))), "198.51.100.8", "e@x.example", "d@y.example");
        Ctl.Run all = ctl(Map.of("DBFILE", db.toString(), "GREYLITE_WHITELIST_LIFETIME", "36d"), now, "db", "purge");
        assertEquals("purged 2 expired rows (retry window 2d (greydb), whitelist lifetime 36d ($GREYLITE_WHITELIST_LIFETIME))\n",
                all.out());
    }

    @Test
    void theLastEngineToStartOnTheGreydbWins() throws Exception {
        Instant now = rowsTheDefaultsWouldPurge(LONG);
        engine(GreylistSettings.defaults(), now); // started with the defaults: its lifetimes replace the others

        Ctl.Run purge = ctl(env, now, "db", "purge");
        assertEquals("purged 3 expired rows (retry window 1d (greydb), whitelist lifetime 36d (greydb))\n", purge.out(),
                "the pending triplet, the passed one and the whitelist entry");
    }

    @Test
    void aGreydbNoEngineRecordedIsJudgedByTheDefaults() throws Exception {
        Map<String, String> env = Map.of("DBFILE", dir.resolve("new.db").toString());
        assertEquals(0, ctl(env, T0, "db", "init").exit());
        Ctl.Run stats = ctl(env, T0, "db", "stats");
        assertTrue(stats.out().contains("retry window          1d (default)\n"), stats.out());
        assertTrue(stats.out().contains("whitelist lifetime    36d (default)\n"), stats.out());
    }

    private static Map<String, Object> normalized(Object o) {
        Map<?, ?> m = (Map<?, ?>) o;
        return Map.of("seconds", ((Number) m.get("seconds")).longValue(), "source", m.get("source"));
    }
}
