package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.MiniJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code greylitectl db} command on a real greydb that the greylisting engine is writing through
 * its own connection at the same moment, as a running greylited would.
 */
class DbCommandsTest {

    @TempDir
    Path dir;

    Path db;
    Map<String, String> env;
    GreylistStore store;
    Greylister engine;
    Thread writer;
    final AtomicBoolean writing = new AtomicBoolean(true);
    final AtomicInteger written = new AtomicInteger();
    final AtomicInteger storeErrors = new AtomicInteger();

    @BeforeEach
    void busyGreydb() throws Exception {
        db = dir.resolve("greylite.db");
        env = Map.of("DBFILE", db.toString());
        store = GreylistStores.sqlite(db, Duration.ofSeconds(10));
        engine = new Greylister(store, SuspicionPolicy.NONE,
                GreylistSettings.defaults().withClientKeys(ClientKeys.exactAddresses()), Clock.systemUTC(),
                (r, v) -> {
                    if (v.reason() == Verdict.Reason.STORE_ERROR) {
                        storeErrors.incrementAndGet();
                    }
                });
        // Known rows first, then a writer that keeps adding first attempts from 10.9.x.y.
        decide("192.0.2.1", "alice@example.org", "bob@example.com");
        decide("198.51.100.7", "spam@bulk.example", "bob@example.com");
        writer = new Thread(() -> {
            int i = 0;
            while (writing.get()) {
                i++;
                decide("10.9." + (i / 250 % 250) + "." + (i % 250), "s" + i + "@load.example", "r@example.com");
                written.incrementAndGet();
            }
        });
        writer.start();
        while (written.get() < 20) {
            Thread.sleep(5);
        }
    }

    @AfterEach
    void stop() throws Exception {
        writing.set(false);
        writer.join();
        store.close();
        assertEquals(0, storeErrors.get(), "the engine never failed while greylitectl worked beside it");
    }

    private void decide(String ip, String from, String to) {
        Engines.decide(engine, ip, "", from, to);
    }

    private Ctl.Run ctl(String... args) {
        return Ctl.run(env, args);
    }

    @Test
    void initIsIdempotent() {
        Ctl.Run first = Ctl.run(Map.of(), "db", "init", "--db", dir.resolve("fresh.db").toString());
        assertEquals(0, first.exit(), first.toString());
        assertTrue(first.out().contains("ready (tables "), first.out());
        assertEquals(0, Ctl.run(Map.of(), "db", "init", "--db", dir.resolve("fresh.db").toString()).exit());
        assertEquals(0, ctl("db", "init").exit(), "on the live greydb too");
    }

    @Test
    void onlyInitMakesAGreydbTheOtherCommandsRefuseAMistypedPathOrAnotherDatabase() throws Exception {
        Path typo = dir.resolve("typo").resolve("greylite.bd");
        Ctl.Run add = Ctl.run(Map.of(), "db", "blacklist", "add", "203.0.113.9", "--db", typo.toString());
        assertEquals(2, add.exit(), add.toString());
        assertTrue(add.err().contains(typo + ": no greydb there"), add.err());
        assertFalse(java.nio.file.Files.exists(typo.getParent()), "nothing made at the mistyped path");

        Path foreign = dir.resolve("foreign.db");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + foreign);
             java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)");
        }
        Ctl.Run stats = Ctl.run(Map.of(), "db", "stats", "--db", foreign.toString());
        assertEquals(2, stats.exit(), stats.toString());
        assertTrue(stats.err().contains("not a greydb"), stats.err());
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + foreign);
             java.sql.ResultSet r = c.createStatement().executeQuery(
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table'")) {
            assertEquals(1, r.getInt(1), "no greydb table added to another program's database");
        }
    }

    @Test
    void listFiltersAndFormats() {
        Ctl.Run table = ctl("db", "list", "--pending", "--client", "198.51.100.0/24");
        assertEquals(0, table.exit(), table.toString());
        String[] lines = table.out().split("\n");
        assertEquals(2, lines.length, table.out());
        assertTrue(lines[0].startsWith("client"), lines[0]);
        assertTrue(lines[1].contains("<spam@bulk.example>") && lines[1].contains("pending"), lines[1]);

        Ctl.Run csv = ctl("db", "list", "--sender", "^alice@", "--format", "csv");
        assertEquals("client,sender,recipient,state,refusals,first_seen,last_seen,passed_at,retry_counts_from,expires",
                csv.out().split("\r\n")[0]);
        assertTrue(csv.out().split("\r\n")[1].startsWith("192.0.2.1,<alice@example.org>,<bob@example.com>,pending,1,"));

        Ctl.Run json = ctl("db", "list", "--recipient", "BOB@", "--client", "192.0.2.1", "--format", "json");
        Object parsed = MiniJson.parse(json.out());
        assertTrue(parsed instanceof List<?> l && l.size() == 1, json.out());
        assertEquals("<alice@example.org>", ((Map<?, ?>) ((List<?>) parsed).get(0)).get("sender"));
        assertEquals(null, ((Map<?, ?>) ((List<?>) parsed).get(0)).get("passed_at"));
        assertEquals(1L, ((Map<?, ?>) ((List<?>) parsed).get(0)).get("refusals"), "a count is a JSON number");
    }

    @Test
    void whitelistAndBlacklistByHand() throws Exception {
        Ctl.Run add = ctl("db", "whitelist", "add", "203.0.113.7/24", "--comment", "partner, via ticket 12", "--until", "7d");
        assertEquals(0, add.exit(), add.toString());
        assertTrue(add.out().startsWith("added 203.0.113.0/24 to the whitelist until "), add.out());
        assertEquals(0, ctl("db", "blacklist", "add", "198.51.100.0/24", "--comment", "spam run").exit());

        Ctl.Run wl = ctl("db", "list", "--whitelist", "--format", "csv");
        assertTrue(wl.out().contains("203.0.113.0/24,admin,") && wl.out().contains("\"partner, via ticket 12\""), wl.toString());
        String until = add.out().strip().substring("added 203.0.113.0/24 to the whitelist until ".length());
        assertTrue(until.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), "whole seconds, as stored: " + until);
        assertTrue(wl.out().contains("," + until + ",\"partner"), "the end it said is the one listed: " + wl.out());
        Ctl.Run bl = ctl("db", "list", "--blacklist");
        assertTrue(bl.out().contains("198.51.100.0/24") && bl.out().contains("spam run"), bl.out());

        Thread.sleep(5100); // the running engine re-reads the lists every few seconds
        Verdict v = Engines.decide(engine, "198.51.100.7", "", "spam@bulk.example", "x@example.com");
        assertEquals(Verdict.Action.REJECT, v.action());

        assertEquals(0, ctl("db", "blacklist", "remove", "198.51.100.0/24").exit());
        Ctl.Run again = ctl("db", "blacklist", "remove", "198.51.100.0/24");
        assertEquals(1, again.exit());
        assertTrue(again.err().contains("not on the blacklist"), again.err());
        Ctl.Run bad = ctl("db", "whitelist", "add", "mail.example.com");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("not an IP address or CIDR block"), bad.err());
    }

    @Test
    void deleteLetsAStuckMessageStartOver() {
        Ctl.Run none = ctl("db", "delete");
        assertEquals(2, none.exit(), "no filter: refuses to delete everything");
        Ctl.Run del = ctl("db", "delete", "--client", "198.51.100.7", "--sender", "^spam@");
        assertEquals("deleted 1 triplet\n", del.out());
        assertEquals(1, ctl("db", "list", "--client", "198.51.100.0/24").out().split("\n").length,
                "only the header is left for that network");
    }

    @Test
    void purgeAndStats() {
        Instant later = Instant.now().plus(Duration.ofDays(2));
        Ctl.Run purge = Ctl.run(env, Clock.fixed(later, ZoneOffset.UTC), "db", "purge");
        assertEquals(0, purge.exit(), purge.toString());
        assertTrue(purge.out().matches("purged \\d+ expired rows? \\(retry window 1d \\(greydb\\), whitelist lifetime 36d \\(greydb\\)\\)\\n"), purge.out());

        decide("192.0.2.50", "a@x.example", "b@y.example");
        Ctl.Run stats = ctl("db", "stats", "--format", "json");
        assertEquals(0, stats.exit(), stats.toString());
        Map<?, ?> s = (Map<?, ?>) MiniJson.parse(stats.out());
        assertTrue(((Number) s.get("pending")).longValue() >= 1, stats.out());
        assertEquals(0L, ((Number) s.get("passed")).longValue());
        assertTrue(s.containsKey("median_seconds_to_pass"));
        Ctl.Run text = ctl("db", "stats");
        assertTrue(text.out().contains("triplets pending") && text.out().contains("most refused client networks:"), text.out());
        assertFalse(text.out().contains("null"));
    }

    @Test
    void listSaysWhichRowsHaveExpired() {
        decide("192.0.2.51", "c@x.example", "d@y.example");
        Ctl.Run now = ctl("db", "list", "--client", "192.0.2.51", "--format", "csv");
        assertTrue(now.out().contains(",pending,"), now.out());
        Instant later = Instant.now().plus(Duration.ofDays(2)); // past the retry window of 1d
        Ctl.Run then = Ctl.run(env, Clock.fixed(later, ZoneOffset.UTC), "db", "list", "--client", "192.0.2.51",
                "--format", "csv");
        assertTrue(then.out().contains(",expired,"), "counted as absent, as the engine counts it: " + then.out());
        String pendingRow = now.out().lines().filter(l -> l.contains(",pending,")).findFirst().orElseThrow();
        assertTrue(pendingRow.matches(".*,\\d{4}-\\d\\d-\\d\\dT[^,]+Z,[^,]+Z"),
                "a pending row says when its retry counts, and when it expires: " + pendingRow);
        String expiredRow = then.out().lines().filter(l -> l.contains(",expired,")).findFirst().orElseThrow();
        assertTrue(expiredRow.matches(".*,,,[^,]+Z"), "an expired row has no retry to count, and says when it expired: "
                + expiredRow);
    }

    @Test
    void addingAgainKeepsTheCommentAndRemoveNamesACoveringBlock() {
        assertEquals(0, ctl("db", "whitelist", "add", "192.0.2.77", "--comment", "partner", "--until", "1d").exit());
        Ctl.Run again = ctl("db", "whitelist", "add", "192.0.2.77");
        assertEquals(0, again.exit(), again.toString());
        assertTrue(again.out().startsWith("updated 192.0.2.77 on the whitelist: no end now "), again.out());
        Ctl.Run listed = ctl("db", "list", "--whitelist", "--client", "192.0.2.77", "--format", "csv");
        assertTrue(listed.out().contains("partner"), "the comment is kept: " + listed.out());

        assertEquals(2, ctl("db", "whitelist", "add", "192.0.2.78", "--until", "0").exit(), "an entry over at once");

        assertEquals(0, ctl("db", "blacklist", "add", "198.18.0.0/16").exit());
        Ctl.Run remove = ctl("db", "blacklist", "remove", "198.18.4.5");
        assertEquals(1, remove.exit(), remove.toString());
        assertTrue(remove.err().contains("is not on the blacklist itself; it is covered by 198.18.0.0/16"), remove.err());
    }

    @Test
    void aTableRowStaysOneLineWhateverItsCommentHolds() {
        assertEquals(0, ctl("db", "blacklist", "add", "192.0.2.99", "--comment", "line1\nline2\t\u001b[31mred").exit());
        Ctl.Run table = ctl("db", "list", "--blacklist");
        String row = table.out().lines().filter(l -> l.startsWith("192.0.2.99")).findFirst().orElseThrow();
        assertTrue(row.endsWith("line1?line2??[31mred"), row);
    }
}
