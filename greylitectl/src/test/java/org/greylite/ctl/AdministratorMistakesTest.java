package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import org.greylite.store.GreylistStores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What greylitectl makes of an administrator's slips and of a greydb edited by hand: each is said in words that
 * name the option, the row or the key, never as a raw Java message, and nothing is silently done otherwise than
 * asked.
 */
class AdministratorMistakesTest {

    @TempDir
    Path dir;

    Path db;
    Map<String, String> env;

    @BeforeEach
    void greydb() {
        db = dir.resolve("greylite.db");
        env = Map.of("DBFILE", db.toString());
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
    }

    private Ctl.Run ctl(String... args) {
        return Ctl.run(env, args);
    }

    private void sql(String statement) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    @Test
    void aWrongStatsFormatIsRefusedNamingTheValueBeforeTheGreydbIsRead() {
        Ctl.Run run = ctl("db", "stats", "--format", "xml");

        assertEquals(2, run.exit(), run.toString());
        assertEquals("", run.out(), "no statistics, not even in another format");
        assertTrue(run.err().startsWith("greylitectl: Invalid value for option '--format': expected one of [text, json]"
                + " (case-insensitive) but was 'xml'\n"), run.err());
        Ctl.Run nowhere = ctl("db", "stats", "--format", "xml", "--db", dir.resolve("typo.db").toString());
        assertEquals(run.err(), nowhere.err(), "the greydb is not even looked for");
        assertTrue(ctl("db", "stats", "--format", "JSON").out().startsWith("{\"pending\": 0,"), "any case, as db list's");
    }

    @Test
    void aGreydbLockedByAnotherProcessIsSaidSoNotAsABrokenFile() throws Exception {
        // SQLite's words alone, "The database file is locked", read as a damaged file, and said nothing of the wait.
        try (org.greylite.testing.Sqlite3Lock lock = org.greylite.testing.Sqlite3Lock.hold(db)) {
            Ctl.Run run = ctl("db", "blacklist", "add", "192.0.2.9", "--busy-timeout", "1s");

            assertEquals(2, run.exit(), run.toString());
            assertTrue(run.err().matches("(?s)greylitectl: sqlite:" + java.util.regex.Pattern.quote(db.toString())
                    + ": cannot add 192\\.0\\.2\\.9 to the blacklist: the greydb stayed locked by another process for"
                    + " the (9\\d\\d|1000) ms this could wait \\(the busy timeout\\): .*SQLITE_BUSY.*"), run.err());
            assertTrue(lock.held());
        }
    }

    @Test
    void addingAgainWithoutUntilMakesTheEntryPermanentAsTheHelpSays() {
        for (String list : new String[] {"whitelist", "blacklist"}) {
            assertEquals(0, ctl("db", list, "add", "192.0.2.77", "--until", "1h", "--comment", "trial").exit());
            Ctl.Run again = ctl("db", list, "add", "192.0.2.77");
            assertEquals(0, again.exit(), again.toString());
            assertTrue(again.out().startsWith("updated 192.0.2.77 on the " + list + ": no end now (it was to end "),
                    again.out());
            Ctl.Run listed = ctl("db", "list", "--" + list, "--client", "192.0.2.77", "--format", "csv");
            String row = listed.out().lines().filter(l -> l.startsWith("192.0.2.77,")).findFirst().orElseThrow();
            assertTrue(row.endsWith(",,trial"), "no end, the comment kept: " + row);

            Ctl.Run limited = ctl("db", list, "add", "192.0.2.77", "--until", "2d");
            assertTrue(limited.out().matches("updated 192\\.0\\.2\\.77 on the " + list + ": until \\S+ \\(it had no end\\)\\n"),
                    limited.out());
        }
    }

    @Test
    void anUntilTooFarOffIsRefusedInWords() {
        for (String until : new String[] {"106751991167300d", "2562047788015d", "36501d", "99999999999999999999"}) {
            Ctl.Run r = ctl("db", "whitelist", "add", "192.0.2.8", "--until", until);
            assertEquals(2, r.exit(), until + ": " + r);
            assertTrue(r.err().contains("--until"), until + ": " + r);
            assertFalse(r.err().contains("overflow") || r.err().contains("Instant"), until + ": " + r);
        }
        assertEquals(0, ctl("db", "whitelist", "add", "192.0.2.8", "--until", "36500d").exit());
    }

    @Test
    void aRowWithATimeOutOfRangeIsListedMarkedAndNamedAndCanBeDeleted() throws Exception {
        sql("INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen, passed_at) VALUES"
                + " ('192.0.2.5', 'a@example.org', 'b@example.com', 1, 1700000000, 9000000000000000000, NULL),"
                + " ('192.0.2.6', 'c@example.org', 'd@example.com', 1, 1700000000, 1700000000, NULL)");
        sql("INSERT INTO blacklist (client, created, expires, comment) VALUES ('198.51.100.0/24', 1700000000,"
                + " -9000000000000000000, 'by hand')");
        Ctl.Run list = ctl("db", "list", "--format", "csv");
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("192.0.2.5,") && l.contains(",out-of-range,")), list.out());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("192.0.2.6,")), "the other rows are listed: " + list.out());
        assertTrue(list.err().contains("triplet 192.0.2.5 <a@example.org> <b@example.com>: last_seen out of range"),
                list.err());
        Ctl.Run black = ctl("db", "list", "--blacklist");
        assertEquals(0, black.exit(), black.toString());
        assertTrue(black.err().contains("blacklist entry 198.51.100.0/24: expires out of range"), black.err());

        Ctl.Run del = ctl("db", "delete", "--client", "192.0.2.5");
        assertEquals("deleted 1 triplet\n", del.out(), del.toString());
    }

    @Test
    void aTimeComputedFromATimeOutOfRangeIsOutOfRangeToo() throws Exception {
        // A last use far before any time Java holds: the retry's time and an earned entry's end were that time plus a
        // duration, printed as dates a billion years back ("-1000000000-01-01T00:05:00Z").
        long now = java.time.Instant.now().getEpochSecond();
        sql("INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen, passed_at) VALUES"
                + " ('192.0.2.5', 'a@example.org', 'b@example.com', 1, " + now + ", -9000000000000000000, NULL)");
        sql("INSERT INTO whitelist (client, source, created, last_seen, expires, comment) VALUES"
                + " ('192.0.2.0/24', 'auto', " + now + ", -9000000000000000000, NULL, NULL)");

        Ctl.Run list = ctl("db", "list", "--format", "csv");
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("192.0.2.5,")
                && l.contains(",out-of-range,,out-of-range,")), "last_seen and the retry's time: " + list.out());
        Ctl.Run white = ctl("db", "list", "--whitelist", "--format", "csv");
        assertTrue(white.out().lines().anyMatch(l -> l.startsWith("192.0.2.0/24,auto,")
                && l.endsWith(",out-of-range,out-of-range,")), "last_seen and the end it gives: " + white.out());
        assertFalse((list.out() + white.out()).contains("-1000000000"), list.out() + white.out());
    }

    @Test
    void anAddressPastAVeryShortPrefixIsNotTakenForEveryClient() {
        // 192.0.2.7/0 was added as 0.0.0.0/0: no client greylisted any more (or, on the blacklist, every RCPT 554).
        for (String list : new String[] {"whitelist", "blacklist"}) {
            for (String slip : new String[] {"192.0.2.7/0", "10.1.2.3/4", "2001:db8::5/3"}) {
                Ctl.Run r = ctl("db", list, "add", slip);
                assertEquals(2, r.exit(), r.toString());
                assertTrue(r.err().startsWith("greylitectl: '" + slip + "' has address bits past its /"), r.err());
                assertTrue(r.err().contains("; nothing added (write "), r.err());
            }
            Ctl.Run listed = ctl("db", "list", "--" + list);
            assertEquals(1, listed.out().lines().count(), "nothing added: " + listed.out());

            assertEquals("added 10.0.0.0/8 to the " + list + "\n", ctl("db", list, "add", "10.1.2.3/8").out(),
                    "a /8 is still the address's block");
            assertEquals("added 0.0.0.0/0 to the " + list + "\n", ctl("db", list, "add", "0.0.0.0/0").out(),
                    "written as a block, it is meant");
        }
    }

    @Test
    void aBusyTimeoutOfZeroIsRefusedNamingTheFlagAsGreylitedDoes() {
        // It was "the greydb timeout must be positive": no flag named, where greylited names --busy-timeout.
        for (String zero : new String[] {"0", "0s"}) {
            Ctl.Run r = ctl("db", "stats", "--busy-timeout", zero);
            assertEquals(2, r.exit(), r.toString());
            assertEquals("greylitectl: --busy-timeout: must be 1s or more: seconds (300) or a number with a unit"
                    + " (30s, 5m, 1h), not '" + zero + "'", r.err().strip().split("\r?\n")[0], r.toString());
        }
    }

    @Test
    void aBadFlagOrValueIsSaidInALineNotBuriedUnderTheUsage() throws Exception {
        Path rules = dir.resolve("suspicion");
        java.nio.file.Files.writeString(rules, "1 v SUSPECT\n");
        String[][] mistakes = {
            {"db", "list", "--format", "xml"},
            {"db", "list", "--formt", "json"},
            {"suspicion", "explain", rules.toString(), "--ip", "192.0.2.1", "--to", "x SIZE=1"},
            {"db", "purge", "--no-such-flag"},
        };
        for (String[] args : mistakes) {
            Ctl.Run r = ctl(args);
            assertEquals(2, r.exit(), r.toString());
            String[] lines = r.err().strip().split("\r?\n");
            assertTrue(lines[0].startsWith("greylitectl: "), r.toString());
            assertEquals("greylitectl " + args[0] + " " + args[1] + " --help lists the options.",
                    lines[lines.length - 1], r.toString());
            assertTrue(lines.length <= 3, "the error, a suggestion if any, the pointer to --help: " + r);
            assertFalse(r.err().contains("Usage:"), r.toString());
        }
        Ctl.Run bare = ctl("db");
        assertEquals(2, bare.exit(), bare.toString());
        assertTrue(bare.err().endsWith("greylitectl db --help lists the subcommands.\n"), bare.toString());
        Ctl.Run misspelt = ctl("db", "list", "--formt", "json");
        assertTrue(misspelt.err().contains("--format"), "picocli's suggestion: " + misspelt);
    }

    @Test
    void tripletFiltersWithAListOfClientsAreRefused() {
        for (String list : new String[] {"--whitelist", "--blacklist"}) {
            Ctl.Run r = ctl("db", "list", list, "--sender", "x");
            assertEquals(2, r.exit(), r.toString());
            assertTrue(r.err().contains("--sender filters triplets"), r.toString());
            r = ctl("db", "list", list, "--recipient", "x");
            assertEquals(2, r.exit(), r.toString());
        }
    }

    @Test
    void anUnreadableLifetimeInTheGreydbIsNamed() throws Exception {
        sql("INSERT INTO greydb_meta (key, value) VALUES ('retry_window', 'abc')");
        // The warning is a log line of the greydb code: the real main, as bin/greylitectl runs it, shows it.
        Ctl.MainRun run = Ctl.main(env, "db", "stats");
        assertEquals(0, run.run().exit(), run.toString());
        assertTrue(run.run().err().contains("greydb_meta: retry_window is 'abc'"), run.toString());
    }
}
