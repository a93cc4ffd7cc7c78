package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** greylited as a real process with {@code --db postgresql://...}: how it starts, what survives kill -9. */
@Timeout(120)
class GreylitedPostgresProcessTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    /** greylited with {@code env} and {@code args}, and neither the greydb nor its password from this JVM's environment. */
    private GreylitedProcess.Command greylited(Map<String, String> env, String... args) {
        return greylited("5s", env, args);
    }

    /**
     * As {@link #greylited(Map, String...)}, waiting up to {@code busyTimeout} for a connection: 5 s is room for a
     * loaded machine where the server answers; where it cannot, every start waits all of it for nothing.
     */
    private GreylitedProcess.Command greylited(String busyTimeout, Map<String, String> env, String... args) {
        return GreylitedProcess.command(upstream.address())
                .args("--min-delay", "0", "--busy-timeout", busyTimeout).args(args)
                .withoutEnv("DBFILE", "PGPASSWORD").env(env);
    }

    @Test
    void aRefusalRecordedInPostgresqlSurvivesKillMinus9() throws Exception {
        String url = PG.url(PG.createDatabase());
        try (GreylitedProcess first = greylited(PG.env(), "--db", url).start()) {
            assertTrue(RawClient.rcptReply(first.address()).startsWith("451"));
            first.process.destroyForcibly();
            assertTrue(first.process.waitFor(10, TimeUnit.SECONDS));
        }

        // DBFILE works as well as --db; the password comes from PGPASSWORD only
        Map<String, String> env = new HashMap<>(PG.env());
        env.put("DBFILE", url);
        try (GreylitedProcess again = greylited(env).start()) {
            assertTrue(RawClient.rcptReply(again.address()).startsWith("250"),
                    "the refusal counted before the kill still counts");
        }
    }

    @Test
    void withTheServerDownItStartsAnywayAndFailsOpen() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        // Nothing listens there: the pool's wait for a connection (the busy timeout) is waited out whole at start.
        try (GreylitedProcess proxy = greylited("1s", Map.of(), "--db", "postgresql://mx@127.0.0.1:" + port + "/greylite")
                .start()) {
            List<String> atStart = proxy.log.stream().takeWhile(l -> !l.contains("listening on")).toList();
            assertTrue(atStart.stream().anyMatch(l -> l.contains("postgresql://mx@127.0.0.1:" + port
                    + "/greylite: cannot connect: Connection refused")), atStart.toString());
            assertEquals("250 2.1.5 ok", RawClient.rcptReply(proxy.address()));
        }
    }

    @Test
    void aRoleThatMayOnlyReadTheGreydbStopsTheStart() throws Exception {
        // A role given SELECT only (a monitoring role's credentials in the wrong file): greylited started, and every
        // RCPT failed to write its decision and passed ungreylisted.
        String db = PG.createDatabase();
        String url = PG.url(db);
        try (GreylitedProcess owner = greylited(PG.env(), "--db", url).start()) {
            assertTrue(RawClient.rcptReply(owner.address()).startsWith("451"), "the tables are there, made by their owner");
        }
        PG.psql("postgres", "CREATE ROLE reader LOGIN PASSWORD 'reader-pw'");
        PG.psql(db, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader");
        String readerUrl = "postgresql://reader@" + PG.host() + ":" + PG.port() + "/" + db;

        GreylitedProcess.Exit exit = greylited(Map.of("PGPASSWORD", "reader-pw"), "--db", readerUrl).runToExit();

        String out = exit.output();
        assertEquals(111, exit.status(), out);
        assertTrue(out.contains(readerUrl + ": role reader may not write the greydb (no INSERT, UPDATE, DELETE on"
                + " blacklist, client_behaviour, greydb_meta, triplet, whitelist); every RCPT would be decided as a greydb"
                + " failure."), out);
        assertTrue(out.contains("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"reader\""), out);
        assertFalse(out.contains("listening on"), out);

        PG.psql(db, "GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO reader");
        PG.psql(db, "REVOKE DELETE ON triplet FROM reader");
        exit = greylited(Map.of("PGPASSWORD", "reader-pw"), "--db", readerUrl).runToExit();
        assertEquals(111, exit.status(), exit.output());
        assertTrue(exit.output().contains(": role reader may not write the greydb (no DELETE on triplet); "), exit.output());
    }

    @Test
    void aRoleGrantedNothingOnTheTablesIsToldWhatToGrant() throws Exception {
        // GRANT ... ON ALL TABLES given before the tables were made (it grants on the tables there are): the role sees
        // no table, since information_schema shows a role only the tables it holds a privilege on. greylited took the
        // greydb for an empty one and failed to make the tables ("permission denied for schema public").
        String db = PG.createDatabase();
        PG.psql("postgres", "CREATE ROLE grantless LOGIN PASSWORD 'grantless-pw'");
        PG.psql(db, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO grantless");
        try (GreylitedProcess owner = greylited(PG.env(), "--db", PG.url(db)).start()) {
            assertTrue(RawClient.rcptReply(owner.address()).startsWith("451"), "the tables are there, made by their owner");
        }
        String url = "postgresql://grantless@" + PG.host() + ":" + PG.port() + "/" + db;

        GreylitedProcess.Exit exit = greylited(Map.of("PGPASSWORD", "grantless-pw"), "--db", url).runToExit();

        String out = exit.output();
        assertEquals(111, exit.status(), out);
        assertTrue(out.contains(url + ": role grantless may not write the greydb (no SELECT, INSERT, UPDATE, DELETE on"
                + " blacklist, client_behaviour, greydb_meta, triplet, whitelist); every RCPT would be decided as a"
                + " greydb failure."), out);
        assertTrue(out.contains("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"grantless\""),
                out);
        assertFalse(out.contains("permission denied"), out);
    }

    @Test
    void aRoleThatMayNotMakeTheMissingTablesIsToldHowToHaveThemMade() throws Exception {
        // A role kept from making tables (PostgreSQL 15's default on schema public), on a database without them yet:
        // greylited stopped on the server's "permission denied for schema public", and a "Position: 28" line.
        String db = PG.createDatabase();
        PG.psql("postgres", "CREATE ROLE maker LOGIN PASSWORD 'maker-pw'");
        PG.psql(db, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
        String url = "postgresql://maker@" + PG.host() + ":" + PG.port() + "/" + db;

        GreylitedProcess.Exit exit = greylited(Map.of("PGPASSWORD", "maker-pw"), "--db", url).runToExit();

        String out = exit.output();
        assertEquals(111, exit.status(), out);
        assertTrue(out.contains(url + ": role maker may not make the greydb's tables (blacklist, client_behaviour,"
                + " greydb_meta, triplet, whitelist are missing; it has no CREATE on schema public). Have them made by"
                + " a role that may (the database's owner: greylitectl db init, or psql -f greydb-postgresql.sql), then"
                + " GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"maker\"; or let this one"
                + " make them: GRANT CREATE ON SCHEMA public TO \"maker\""), out);
        assertFalse(out.contains("permission denied") || out.contains("Position:"), out);

        PG.psql(db, "GRANT CREATE ON SCHEMA public TO maker");
        try (GreylitedProcess granted = greylited(Map.of("PGPASSWORD", "maker-pw"), "--db", url).start()) {
            assertTrue(RawClient.rcptReply(granted.address()).startsWith("451"), "the grant it named lets it start");
        }
    }

    @Test
    void aRoleThatMayNotUseTheSchemaIsToldTheGrant() throws Exception {
        // REVOKE ALL ON SCHEMA public FROM PUBLIC, as hardened setups do: the role's grants on the tables were all there,
        // but PostgreSQL leaves a schema it may not use out of its search path, and greylited stopped on "no schema has
        // been selected to create in", naming neither the schema nor the grant.
        String db = PG.createDatabase();
        try (GreylitedProcess owner = greylited(PG.env(), "--db", PG.url(db)).start()) {
            assertTrue(RawClient.rcptReply(owner.address()).startsWith("451"), "the tables are there, made by their owner");
        }
        PG.psql("postgres", "CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'");
        PG.psql(db, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO outsider");
        PG.psql(db, "REVOKE ALL ON SCHEMA public FROM PUBLIC");
        String url = "postgresql://outsider@" + PG.host() + ":" + PG.port() + "/" + db;

        GreylitedProcess.Exit exit = greylited(Map.of("PGPASSWORD", "outsider-pw"), "--db", url).runToExit();

        String out = exit.output();
        assertEquals(111, exit.status(), out);
        assertTrue(out.contains(url + ": role outsider may not use schema public (no USAGE on it), where its search_path"
                + " looks for the greydb's tables. As the schema's owner: GRANT USAGE ON SCHEMA public TO \"outsider\""),
                out);
        assertFalse(out.contains("no schema has been selected"), out);

        PG.psql(db, "GRANT USAGE ON SCHEMA public TO outsider");
        try (GreylitedProcess granted = greylited(Map.of("PGPASSWORD", "outsider-pw"), "--db", url).start()) {
            assertTrue(RawClient.rcptReply(granted.address()).startsWith("250"),
                    "the grant it named lets it start, and the refusal the owner's greylited recorded counts");
        }
    }

    @Test
    void aDatabaseWhoseTransactionsAreReadOnlyStopsTheStart() throws Exception {
        // default_transaction_read_only on (or a hot standby named in --db, where every transaction is read-only):
        // the role's grants were all there, greylited started, and every RCPT failed to write and passed.
        String db = PG.createDatabase();
        String url = PG.url(db);
        try (GreylitedProcess owner = greylited(PG.env(), "--db", url).start()) {
            assertTrue(RawClient.rcptReply(owner.address()).startsWith("451"), "the tables are there");
        }
        PG.psql("postgres", "ALTER DATABASE " + db + " SET default_transaction_read_only = on");

        GreylitedProcess.Exit exit = greylited(PG.env(), "--db", url).runToExit();

        String out = exit.output();
        assertEquals(111, exit.status(), out);
        assertTrue(out.contains(url + ": transactions are read-only for role "), out);
        assertTrue(out.contains("default_transaction_read_only is on"), out);
        assertFalse(out.contains("listening on"), out);
    }

    @Test
    void aTripletTableMadeByHandWithoutItsPrimaryKeyStopsTheStart() throws Exception {
        // A table restored without its constraints: every decision's upsert failed on it, and every mail passed.
        String db = PG.createDatabase();
        PG.psql(db, "CREATE TABLE triplet (client TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL,"
                + " refusals INTEGER NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, passed_at BIGINT)");
        String url = PG.url(db);

        GreylitedProcess.Exit exit = greylited(PG.env(), "--db", url).runToExit();

        String out = exit.output();
        assertEquals(111, exit.status(), out);
        assertTrue(out.contains(url + ": table triplet has no primary key where greydb.sql's is (client, sender,"
                + " recipient): the greydb was not made by greydb-postgresql.sql."), out);
        assertFalse(out.contains("listening on"), out);
    }

    @Test
    void aPasswordOnTheCommandLineIsRefusedWithoutRepeatingIt() throws Exception {
        GreylitedProcess.Exit exit = greylited(Map.of(), "--db", "postgresql://mx:hunter2@127.0.0.1/greylite").runToExit();
        String out = exit.output();
        assertFalse(exit.status() == 0, out);
        assertTrue(out.contains("--db: greydb URL") && out.contains("PGPASSWORD"), out);
        assertFalse(out.contains("hunter2"), out);
    }
}
