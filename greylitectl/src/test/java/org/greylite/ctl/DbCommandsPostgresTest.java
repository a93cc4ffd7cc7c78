package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.testing.MiniJson;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code greylitectl db ...} on a shared PostgreSQL greydb that an engine (a greylited) is using. */
@Timeout(120)
class DbCommandsPostgresTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    String url;
    Map<String, String> env;
    GreylistStore store;
    Greylister engine;
    Clock clock = Clock.fixed(T0, ZoneOffset.UTC);

    @BeforeEach
    void greydb() {
        url = PG.url(PG.createDatabase());
        env = new HashMap<>(PG.env());
        env.put("DBFILE", url);
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    /** The store on the test's greydb, opened at the first call. */
    private GreylistStore store() {
        if (store == null) {
            store = GreylistStores.open(url, new GreydbOptions(Duration.ofSeconds(5), 2, PG.env()));
        }
        return store;
    }

    private void engineAt(Instant now) {
        engine = Engines.keyedBy(store(), ClientKeys.exactAddresses(), Clock.fixed(now, ZoneOffset.UTC));
    }

    private Verdict decide(String ip, String from, String to) {
        return Engines.decide(engine, ip, "", from, to);
    }

    private Ctl.Run ctl(String... args) {
        return Ctl.run(env, clock, args);
    }

    @Test
    void initCreatesTheTablesAndIsIdempotent() {
        Ctl.Run init = Ctl.run(PG.env(), "db", "init", "--db", url);
        assertEquals(0, init.exit(), init.toString());
        assertEquals(GreydbLocation.parse(url).describe() + ": ready (tables blacklist, client_behaviour, greydb_meta, triplet, whitelist)\n",
                init.out());
        assertEquals("5", PG.psql(url.substring(url.lastIndexOf('/') + 1),
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));
        assertEquals(0, ctl("db", "init").exit(), "again, from DBFILE");
    }

    /** PostgreSQL checks its own pages: the check says so, and does not pass for a damaged greydb by exiting 1. */
    @Test
    void checkLeavesAPostgresGreydbToItsServer() {
        assertEquals(0, Ctl.run(PG.env(), "db", "init", "--db", url).exit());
        Ctl.Run check = ctl("db", "check");
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().contains("its server's to check"), check.out());
    }

    @Test
    void listAndStatsShowWhatTheEnginesWrote() throws Exception {
        engineAt(T0);
        decide("192.0.2.1", "alice@example.org", "bob@example.com");
        decide("198.51.100.7", "spam@bulk.example", "bob@example.com");
        engineAt(T0.plus(Duration.ofMinutes(10)));
        assertTrue(decide("192.0.2.1", "alice@example.org", "bob@example.com").accepted());
        clock = Clock.fixed(T0.plus(Duration.ofMinutes(11)), ZoneOffset.UTC);

        Ctl.Run pending = ctl("db", "list", "--pending");
        assertEquals(0, pending.exit(), pending.toString());
        String[] lines = pending.out().split("\n");
        assertEquals(2, lines.length, pending.out());
        assertTrue(lines[1].contains("198.51.100.7") && lines[1].contains("<spam@bulk.example>"), lines[1]);

        Ctl.Run csv = ctl("db", "list", "--passed", "--format", "csv");
        assertTrue(csv.out().split("\r\n")[1].startsWith("192.0.2.1,<alice@example.org>,<bob@example.com>,passed,1,"),
                csv.out());
        Ctl.Run whitelist = ctl("db", "list", "--whitelist", "--format", "csv");
        assertTrue(whitelist.out().contains("192.0.2.1,auto,"), whitelist.out());

        Ctl.Run stats = ctl("db", "stats", "--format", "json");
        assertEquals(0, stats.exit(), stats.toString());
        Map<?, ?> s = (Map<?, ?>) MiniJson.parse(stats.out());
        assertEquals(1L, ((Number) s.get("pending")).longValue(), stats.out());
        assertEquals(1L, ((Number) s.get("passed")).longValue(), stats.out());
        assertEquals(1L, ((Number) s.get("whitelist_auto")).longValue(), stats.out());
        assertEquals(600L, ((Number) s.get("median_seconds_to_pass")).longValue(), stats.out());
        assertEquals(List.of(Map.of("network", "192.0.2.0/24", "refusals", 1L), Map.of("network", "198.51.100.0/24", "refusals", 1L)),
                normalise(s.get("top_refused")), stats.out());
    }

    @Test
    void changesByHandReachTheEngines() throws Exception {
        assertEquals(0, ctl("db", "init").exit());
        assertEquals(0, ctl("db", "blacklist", "add", "203.0.113.0/24", "--comment", "spam run").exit());
        engineAt(T0);
        assertEquals(Verdict.Action.REJECT, decide("203.0.113.9", "a@x", "b@y").action());
        assertEquals(0, ctl("db", "delete", "--client", "203.0.113.0/24").exit());
        Ctl.Run purge = Ctl.run(env, Clock.fixed(T0.plus(Duration.ofDays(2)), ZoneOffset.UTC), "db", "purge");
        assertEquals(0, purge.exit(), purge.toString());
    }

    @Test
    void purgeUsesTheLifetimesTheEngineRecordedInTheSharedGreydb() throws Exception {
        GreylistSettings longer = GreylistSettings.defaults().withClientKeys(ClientKeys.exactAddresses())
                .withRetryWindow(Duration.ofHours(48)).withWhitelistLifetime(Duration.ofDays(60));
        engine = Engines.on(store(), longer, Clock.fixed(T0, ZoneOffset.UTC));
        decide("192.0.2.1", "a@x.example", "b@y.example");

        Ctl.Run purge = Ctl.run(env, Clock.fixed(T0.plus(Duration.ofHours(30)), ZoneOffset.UTC), "db", "purge");
        assertEquals("purged 0 expired rows (retry window 2d (greydb), whitelist lifetime 60d (greydb))\n", purge.out(),
                purge.toString());
        assertEquals("1", PG.psql(url.substring(url.lastIndexOf('/') + 1), "SELECT COUNT(*) FROM triplet").trim());
        Ctl.Run stats = Ctl.run(env, Clock.fixed(T0.plus(Duration.ofHours(30)), ZoneOffset.UTC), "db", "stats");
        assertTrue(stats.out().contains("min delay             5m (greydb)\n"), stats.out());

        engineAt(T0); // a host started later with the defaults: the last to start wins
        purge = Ctl.run(env, Clock.fixed(T0.plus(Duration.ofHours(30)), ZoneOffset.UTC), "db", "purge");
        assertEquals("purged 1 expired row (retry window 1d (greydb), whitelist lifetime 36d (greydb))\n", purge.out());
    }

    @Test
    void addressesFromTheLogFindTheRowsTheEngineKeyed() {
        new EngineKeysScenario(EnginesAndCtl.on(store(), clock, this::ctl)).run();
    }

    @Test
    void clientsAreListedByAddressNotByText() {
        new ListOrderScenario(EnginesAndCtl.on(store(), clock, this::ctl)).run();
    }

    // A server that cannot be reached at all: DbUnreachablePostgresTest. Here the server answers, and says no.

    @Test
    void aDatabaseThatDoesNotExistIsOneClearLineAtOnce() {
        String url = PG.url("nosuchdb");

        Ctl.MainRun run = Ctl.main(PG.env(), "db", "stats", "--db", url, "--busy-timeout",
                DbUnreachablePostgresTest.LONG_BUSY_TIMEOUT);

        assertEquals(2, run.run().exit(), run.toString());
        assertEquals("greylitectl: " + url + ": cannot connect: FATAL: database \"nosuchdb\" does not exist\n",
                run.run().err(), "the whole of stderr: " + run);
        assertTrue(run.took().compareTo(DbUnreachablePostgresTest.PROMPT) < 0, run.toString());
    }

    @Test
    void aWrongPasswordIsOneClearLineAtOnce() {
        String url = PG.url(PG.createDatabase());

        Ctl.MainRun run = Ctl.main(Map.of("PGPASSWORD", "not-the-password-42"), "db", "list", "--db", url,
                "--busy-timeout", DbUnreachablePostgresTest.LONG_BUSY_TIMEOUT);

        assertEquals(2, run.run().exit(), run.toString());
        String err = run.run().err();
        assertTrue(err.startsWith("greylitectl: " + url + ": cannot connect: ")
                && err.contains("password authentication failed for user \"" + PostgresServer.USER + "\"")
                && err.contains("PGPASSWORD") && err.lines().count() == 1, "the whole of stderr: " + run);
        assertTrue(!err.contains("not-the-password-42"), "the password is never shown: " + err);
        assertTrue(run.took().compareTo(DbUnreachablePostgresTest.PROMPT) < 0, run.toString());
    }

    @Test
    void aPasswordOnTheCommandLineIsRefused() {
        Ctl.Run run = Ctl.run(Map.of(), "db", "list", "--db", "postgresql://mx:secret@127.0.0.1/greylite");
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("PGPASSWORD") && !run.err().contains("secret"), run.err());
    }

    @Test
    void anAddKeptWaitingByALockSaysItCannotAddNotThatItCannotList() throws Exception {
        // add reads the list first, to say what changed: a lock's timeout there was said as "cannot list the
        // whitelist", which the administrator never asked for.
        String db = PG.createDatabase();
        url = PG.url(db);
        assertEquals(0, Ctl.run(PG.env(), "db", "init", "--db", url).exit());
        try (java.sql.Connection otherHost = java.sql.DriverManager.getConnection(PG.jdbcUrl(db), PostgresServer.USER,
                PG.password());
             java.sql.Statement st = otherHost.createStatement()) {
            otherHost.setAutoCommit(false);
            st.execute("LOCK TABLE whitelist IN ACCESS EXCLUSIVE MODE");
            st.execute("LOCK TABLE blacklist IN ACCESS EXCLUSIVE MODE");
            for (String list : List.of("whitelist", "blacklist")) {
                Ctl.Run add = Ctl.run(PG.env(), "db", list, "add", "10.67.0.0/16", "--db", url, "--busy-timeout", "1s");
                assertEquals(2, add.exit(), add.toString());
                assertTrue(add.err().contains("cannot add 10.67.0.0/16 to the " + list + ": "), add.toString());
            }
            otherHost.rollback();
        }
        assertEquals(0, Ctl.run(PG.env(), "db", "whitelist", "add", "10.67.0.0/16", "--db", url).exit());
    }

    @Test
    void aDatabaseWithoutTheGreydbIsRefusedNotGivenItsTables() {
        // The database a URL without a path names is the user's own: one forgotten path, and an entry would go to a
        // database no program reads. As for an SQLite file, only db init makes a greydb.
        String url = PG.url(PG.createDatabase());
        for (String[] command : new String[][] {{"db", "blacklist", "add", "192.0.2.7"}, {"db", "list"},
            {"db", "stats"}, {"db", "purge"}, {"db", "delete", "--client", "192.0.2.7"}}) {
            List<String> args = new java.util.ArrayList<>(List.of(command));
            args.addAll(List.of("--db", url));

            Ctl.Run run = Ctl.run(PG.env(), args.toArray(String[]::new));

            assertEquals(2, run.exit(), run.toString());
            assertEquals("greylitectl: " + url + ": a PostgreSQL database, but not a greydb (it has no triplet table in"
                    + " schema public; greylitectl db init adds the greydb's tables)\n", run.err(), run.toString());
            assertEquals("", PG.psql(url.substring(url.lastIndexOf('/') + 1),
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"), "no table made");
        }
        Ctl.Run init = Ctl.run(PG.env(), "db", "init", "--db", url);
        assertEquals(0, init.exit(), init.toString());
        assertEquals(0, Ctl.run(PG.env(), "db", "blacklist", "add", "192.0.2.7", "--db", url).exit());
    }

    @Test
    void aRoleThatMayNotReadTheTablesIsToldWhatToGrantNotThatTheGreydbIsMissing() {
        // information_schema shows a role only the tables it holds a privilege on: a role granted nothing (its GRANT
        // given before the tables were made) was told the database was no greydb, and to make one with db init.
        String db = PG.createDatabase();
        url = PG.url(db);
        assertEquals(0, Ctl.run(PG.env(), "db", "init", "--db", url).exit());
        PG.psql("postgres", "CREATE ROLE blind LOGIN PASSWORD 'blind-pw'");
        String blindUrl = "postgresql://blind@" + PG.host() + ":" + PG.port() + "/" + db;

        Ctl.Run run = Ctl.run(Map.of("PGPASSWORD", "blind-pw"), "db", "stats", "--db", blindUrl);

        assertEquals(2, run.exit(), run.toString());
        assertEquals("greylitectl: " + blindUrl + ": role blind may not read the greydb (no SELECT on blacklist,"
                + " client_behaviour, greydb_meta, triplet, whitelist). As the tables' owner: GRANT SELECT ON ALL TABLES"
                + " IN SCHEMA public TO \"blind\" (and INSERT, UPDATE, DELETE for the commands that change it)\n",
                run.err(), run.toString());

        PG.psql(db, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO blind");
        Ctl.Run stats = Ctl.run(Map.of("PGPASSWORD", "blind-pw"), "db", "stats", "--db", blindUrl);
        assertEquals(0, stats.exit(), "SELECT is all db stats needs: " + stats);
    }

    @Test
    void aRoleThatMayNotUseTheSchemaIsToldTheGrantNotThatTheGreydbIsMissing() {
        // A schema the role may not use is left out of its search path: the greydb was called "not a greydb (it has no
        // triplet table in schema (none: the search_path names no schema that exists)", which schema public does.
        String db = PG.createDatabase();
        url = PG.url(db);
        assertEquals(0, Ctl.run(PG.env(), "db", "init", "--db", url).exit());
        PG.psql("postgres", "CREATE ROLE stranger LOGIN PASSWORD 'stranger-pw'");
        PG.psql(db, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO stranger");
        PG.psql(db, "REVOKE ALL ON SCHEMA public FROM PUBLIC");
        String strangerUrl = "postgresql://stranger@" + PG.host() + ":" + PG.port() + "/" + db;

        Ctl.Run run = Ctl.run(Map.of("PGPASSWORD", "stranger-pw"), "db", "stats", "--db", strangerUrl);

        assertEquals(2, run.exit(), run.toString());
        assertEquals("greylitectl: " + strangerUrl + ": role stranger may not use schema public (no USAGE on it), where"
                + " its search_path looks for the greydb's tables. As the schema's owner: GRANT USAGE ON SCHEMA public TO"
                + " \"stranger\"\n", run.err(), run.toString());
    }

    @Test
    void hostAndPortParametersReachTheServerPsqlReaches() {
        // psql takes libpq's host and port parameters over the URL's; the JDBC driver ignored them, and the command
        // went to port 5432 of the URL's host (or over TCP to it, where ?host= named a unix socket's directory).
        String db = PG.createDatabase();
        String portParameter = "postgresql://" + PostgresServer.USER + "@" + PG.host() + "/" + db + "?port=" + PG.port();
        String hostParameter = "postgresql:///" + db + "?user=" + PostgresServer.USER + "&host=" + PG.host() + "&port="
                + PG.port();

        Ctl.Run init = Ctl.run(PG.env(), "db", "init", "--db", portParameter);
        assertEquals(0, init.exit(), init.toString());
        assertEquals(PG.url(db) + ": ready (tables blacklist, client_behaviour, greydb_meta, triplet, whitelist)\n",
                init.out());
        Ctl.Run add = Ctl.run(PG.env(), "db", "blacklist", "add", "192.0.2.7", "--db", hostParameter);
        assertEquals(0, add.exit(), add.toString());
        assertEquals("192.0.2.7", PG.psql(db, "SELECT client FROM blacklist"));

        Ctl.Run socket = Ctl.run(PG.env(), "db", "list", "--db", "postgresql://" + PostgresServer.USER + "@" + PG.host()
                + ":" + PG.port() + "/" + db + "?host=/var/run/postgresql");
        assertEquals(2, socket.exit(), socket.toString());
        assertTrue(socket.err().contains("host /var/run/postgresql is a unix socket's directory")
                && socket.err().contains("connects over TCP only"), socket.toString());
    }

    @Test
    void aTableMadeByHandWithoutAColumnIsNamedWithWhatItLacks() {
        String db = PG.createDatabase();
        PG.psql(db, "CREATE TABLE triplet (client TEXT NOT NULL, sender TEXT NOT NULL, refusals INTEGER NOT NULL,"
                + " first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, passed_at BIGINT,"
                + " PRIMARY KEY (client, sender))");
        String url = PG.url(db);

        Ctl.Run run = Ctl.run(PG.env(), "db", "list", "--db", url);

        assertEquals(2, run.exit(), run.toString());
        assertEquals("greylitectl: " + url + ": table triplet has no column recipient; table triplet has the primary key"
                + " (client, sender) where greydb.sql's is (client, sender, recipient): the greydb was not made by"
                + " greydb-postgresql.sql. Make the tables as it declares them, or drop them (their rows cannot be used"
                + " as they are) and let the programs make them\n", run.err(), "one line, naming the table: " + run);
    }

    @Test
    void aUserNameWithAColonWrittenAsInAUrlIsAUserNotAPassword() {
        // libpq's URLs write a colon that belongs to the user name as %3A; only a colon written as such starts
        // a password. Site roles named after a host and port ("mx1:25") are written so.
        PG.psql("postgres", "CREATE ROLE \"mx1:25@edge\" LOGIN PASSWORD 'colon-role-pw'");
        String db = PG.createDatabase();
        PG.psql("postgres", "ALTER DATABASE " + db + " OWNER TO \"mx1:25@edge\"");
        String url = "postgresql://mx1%3A25%40edge@" + PG.host() + ":" + PG.port() + "/" + db;

        Ctl.Run init = Ctl.run(Map.of("PGPASSWORD", "colon-role-pw"), "db", "init", "--db", url);

        assertEquals(0, init.exit(), init.toString());
        assertEquals(url + ": ready (tables blacklist, client_behaviour, greydb_meta, triplet, whitelist)\n", init.out(),
                "the greydb is named as it was given, the user's colon still %3A: " + init);
        Ctl.Run add = Ctl.run(Map.of("PGPASSWORD", "colon-role-pw"), "db", "blacklist", "add", "192.0.2.7", "--db", url);
        assertEquals(0, add.exit(), add.toString());
        assertEquals("192.0.2.7", PG.psql(db, "SELECT client FROM blacklist"));
    }

    private static Object normalise(Object topRefused) {
        return ((List<?>) topRefused).stream().map(o -> {
            Map<?, ?> m = (Map<?, ?>) o;
            return Map.of("network", m.get("network"), "refusals", ((Number) m.get("refusals")).longValue());
        }).toList();
    }
}
