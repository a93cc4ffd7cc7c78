package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A greydb an older version wrote, keying IPv6 clients in Java's full text ({@code 2001:db8:0:0:0:0:0:0/64}),
 * opened by this version, which keys them in RFC 5952's ({@code 2001:db8::/64}): its rows are found, once rewritten.
 * Each subclass says how to make such a greydb (the tables as {@code greydb.sql} makes them, rows written as by hand).
 */
@Timeout(120)
abstract class OlderIpv6KeysTest {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final long S0 = T0.getEpochSecond();

    /** A greydb with the tables and no rows, as an older version left it (no record of the rewrite). */
    abstract GreydbLocation olderGreydb();

    /** A location holding no greydb yet (the programs create it on first use). */
    abstract GreydbLocation newGreydb();

    /** Runs SQL on the greydb as a program of an older version, or an administrator's psql or sqlite3, would. */
    abstract void execute(GreydbLocation greydb, String sql);

    abstract GreydbOptions options();

    /** The key the older version wrote for an address: Java's text of the address, or of its network. */
    static String oldKey(String ip, int prefix) {
        try {
            byte[] bytes = InetAddress.getByName(ip).getAddress();
            if (prefix == bytes.length * 8) {
                return InetAddress.getByAddress(bytes).getHostAddress();
            }
            for (int bit = prefix; bit < bytes.length * 8; bit++) {
                bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
            }
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static Reason attempt(Greylister engine, String ip, String from, String to) {
        try {
            return engine.decide(new RcptRequest(InetAddress.getByName(ip),
                    new ClientFacts(ip, "", "helo.example", from, to, Map.of(), Set.of()), null)).reason();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theOldKeysAreFoundUnderTheNewOnes() {
        assertEquals("2001:db8:0:0:0:0:0:0/64", oldKey("2001:db8::1", 64), "what the older version wrote");
        GreydbLocation greydb = olderGreydb();
        execute(greydb, "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen)"
                + " VALUES ('" + oldKey("2001:db8::1", 64) + "', 'a@x.example', 'b@y.example', 1, " + S0 + ", " + S0 + ")");
        execute(greydb, "INSERT INTO whitelist (client, source, created, last_seen) VALUES ('"
                + oldKey("2001:db8:0:5::9", 64) + "', 'auto', " + S0 + ", " + S0 + ")");
        execute(greydb, "INSERT INTO blacklist (client, created, comment) VALUES ('" + oldKey("2001:db8:bad::", 48)
                + "', " + S0 + ", 'spam run')");
        execute(greydb, "INSERT INTO client_behaviour (client, behaviour, last_seen) VALUES ('"
                + oldKey("2001:db8:0:7::1", 64) + "', 'retryinterval', " + S0 + ")");
        execute(greydb, "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen)"
                + " VALUES ('192.0.2.0/24', 'a@x.example', 'b@y.example', 1, " + S0 + ", " + S0 + ")");

        MutableClock clock = new MutableClock(T0.plus(GreylistSettings.DEFAULT_MIN_DELAY));
        try (GreylistStore store = GreylistStores.open(greydb, options())) {
            Greylister engine = new Greylister(store, SuspicionPolicy.NONE,
                    GreylistSettings.defaults().withClientKeys(ClientKeys.networks()), clock, (r, v) -> { });
            assertEquals(Reason.PASSED, attempt(engine, "2001:db8::1", "a@x.example", "b@y.example"),
                    "the retry after the delay passes: its first attempt is found");
            assertEquals(Reason.WHITELISTED, attempt(engine, "2001:db8:0:5::9", "c@x.example", "d@y.example"),
                    "an auto-whitelisted client stays so");
            assertEquals(Reason.BLACKLISTED, attempt(engine, "2001:db8:bad::25", "a@x.example", "b@y.example"));
            assertTrue(store.rememberedBehaviours("2001:db8:0:7::/64").containsKey("retryinterval"));
            assertEquals(Reason.PASSED, attempt(engine, "192.0.2.7", "a@x.example", "b@y.example"), "IPv4 as it was");
        }
        try (GreydbAdmin admin = GreylistStores.admin(greydb, options())) {
            assertEquals(List.of("192.0.2.0/24", "2001:db8::/64"), clients(admin));
            assertEquals(List.of("192.0.2.0/24 auto", "2001:db8::/64 auto", "2001:db8:0:5::/64 auto"), whitelist(admin),
                    "the earned entry kept, and those the passes earned");
            assertEquals(List.of("2001:db8:bad::/48 spam run"),
                    admin.blacklist().stream().map(e -> e.client() + " " + e.comment()).toList());
        }
    }

    @Test
    void rowsUnderBothTextsBecomeOneRow() {
        GreydbLocation greydb = olderGreydb();
        String old = oldKey("2001:db8::1", 64);
        String now = "2001:db8::/64";
        // The older version's pending triplet, and the same triplet passed under the new text (a host already upgraded).
        execute(greydb, "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen) VALUES ('"
                + old + "', 'a@x.example', 'b@y.example', 2, " + S0 + ", " + (S0 + 400) + ")");
        execute(greydb, "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen, passed_at)"
                + " VALUES ('" + now + "', 'a@x.example', 'b@y.example', 1, " + (S0 + 100) + ", " + (S0 + 500) + ", "
                + (S0 + 500) + ")");
        // An earned entry under the old text, an administrator's under the new.
        execute(greydb, "INSERT INTO whitelist (client, source, created, last_seen) VALUES ('" + old + "', 'auto', "
                + S0 + ", " + (S0 + 900) + ")");
        execute(greydb, "INSERT INTO whitelist (client, source, created, last_seen, comment) VALUES ('" + now
                + "', 'admin', " + (S0 + 50) + ", " + (S0 + 50) + ", 'partner')");
        // Two blacklist entries of one block: one ending, one for good.
        execute(greydb, "INSERT INTO blacklist (client, created, expires, comment) VALUES ('"
                + oldKey("2001:db8:bad::", 48) + "', " + S0 + ", " + (S0 + 3600) + ", 'spam run')");
        execute(greydb, "INSERT INTO blacklist (client, created) VALUES ('2001:db8:bad::/48', " + (S0 + 10) + ")");
        execute(greydb, "INSERT INTO client_behaviour (client, behaviour, last_seen) VALUES ('" + old
                + "', 'retryinterval', " + (S0 + 70) + ")");
        execute(greydb, "INSERT INTO client_behaviour (client, behaviour, last_seen) VALUES ('" + now
                + "', 'retryinterval', " + (S0 + 30) + ")");

        try (GreydbAdmin admin = GreylistStores.admin(greydb, options())) {
            List<GreydbAdmin.TripletRow> rows = admin.triplets(TripletFilter.ALL);
            assertEquals(1, rows.size(), rows.toString());
            assertEquals(new TripletKey(now, "a@x.example", "b@y.example"), rows.get(0).key());
            assertEquals(new Triplet(2, T0, T0.plusSeconds(500), T0.plusSeconds(500)), rows.get(0).state(),
                    "passed, at the earlier first attempt and the later use, with the larger count");
            List<GreydbAdmin.WhitelistRow> white = admin.whitelist();
            assertEquals(1, white.size(), white.toString());
            assertEquals(new GreydbAdmin.WhitelistRow(now, "admin", T0.plusSeconds(50), T0.plusSeconds(900), null,
                    "partner"), white.get(0), "the administrator's entry, used as lately as the earned one");
            assertEquals(List.of(new ListEntry("2001:db8:bad::/48", true, T0, null, "spam run")), admin.blacklist(),
                    "for good, since one of them was; the comment there was");
        }
        try (GreylistStore store = GreylistStores.open(greydb, options())) {
            assertEquals(Map.of("retryinterval", T0.plusSeconds(70)), store.rememberedBehaviours(now));
        }
    }

    @Test
    void theRewriteRunsOnceAndAgainWhenItsRecordIsDeleted() {
        GreydbLocation greydb = olderGreydb();
        String old = oldKey("2001:db8::1", 128);
        execute(greydb, "INSERT INTO whitelist (client, source, created, last_seen) VALUES ('" + old + "', 'auto', "
                + S0 + ", " + S0 + ")");
        try (GreydbAdmin admin = GreylistStores.admin(greydb, options())) {
            assertEquals(List.of("2001:db8::1 auto"), whitelist(admin));
        }
        // A program of the older version, still running, writes the old text again; opening again leaves it.
        execute(greydb, "INSERT INTO whitelist (client, source, created, last_seen) VALUES ('" + oldKey("2001:db8::2", 128)
                + "', 'auto', " + S0 + ", " + S0 + ")");
        execute(greydb, "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen) VALUES ('"
                + oldKey("2001:db8::2", 64) + "', 'a@x.example', 'b@y.example', 1, " + S0 + ", " + S0 + ")");
        try (GreydbAdmin admin = GreylistStores.admin(greydb, options())) {
            assertEquals(List.of("2001:db8::1 auto", "2001:db8:0:0:0:0:0:2 auto"), whitelist(admin), "by address");
            assertEquals(List.of("2001:db8:0:0:0:0:0:0/64"), admin.triplets(new TripletFilter(TripletFilter.State.ANY,
                    null, null, null, Set.of("2001:db8::/64"))).stream().map(r -> r.key().client()).toList(),
                    "greylitectl's filter finds the key the engine gives an address in either text meanwhile");
        }
        // As the README says: deleting the record makes the next program that opens the greydb rewrite again.
        execute(greydb, "DELETE FROM greydb_meta WHERE key = 'client_key_text'");
        try (GreydbAdmin admin = GreylistStores.admin(greydb, options())) {
            assertEquals(List.of("2001:db8::1 auto", "2001:db8::2 auto"), whitelist(admin));
            assertEquals(List.of("2001:db8::/64"), clients(admin));
        }
    }

    @Test
    void aNewGreydbIsRecordedAsWrittenInTheNewText() {
        GreydbLocation greydb = newGreydb();
        GreylistStores.open(greydb, options()).close();
        execute(greydb, "INSERT INTO whitelist (client, source, created, last_seen) VALUES ('"
                + oldKey("2001:db8::1", 128) + "', 'auto', " + S0 + ", " + S0 + ")");
        try (GreydbAdmin admin = GreylistStores.admin(greydb, options())) {
            assertEquals(List.of("2001:db8:0:0:0:0:0:1 auto"), whitelist(admin), "marked done when made: not run again");
        }
    }

    @Test
    void programsOpeningTogetherRewriteOnce() throws Exception {
        GreydbLocation greydb = olderGreydb();
        for (int i = 1; i <= 50; i++) {
            execute(greydb, "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen) VALUES ('"
                    + oldKey("2001:db8:" + Integer.toHexString(i) + "::1", 64) + "', 'a@x.example', 'b@y.example', 1, "
                    + S0 + ", " + S0 + ")");
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> programs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                programs.add(pool.submit(() -> {
                    go.await();
                    try (GreydbAdmin admin = GreylistStores.admin(greydb, options())) {
                        return admin.triplets(TripletFilter.ALL).size();
                    }
                }));
            }
            go.countDown();
            for (Future<Integer> p : programs) {
                assertEquals(50, p.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        try (GreydbAdmin admin = GreylistStores.admin(greydb, options())) {
            List<String> clients = clients(admin);
            assertEquals(50, clients.size());
            assertTrue(clients.stream().allMatch(c -> c.matches("2001:db8:[0-9a-f]+::/64")), clients.toString());
        }
    }

    private static List<String> clients(GreydbAdmin admin) {
        return admin.triplets(TripletFilter.ALL).stream().map(r -> r.key().client()).toList();
    }

    private static List<String> whitelist(GreydbAdmin admin) {
        return admin.whitelist().stream().map(w -> w.client() + " " + w.source()).toList();
    }
}
