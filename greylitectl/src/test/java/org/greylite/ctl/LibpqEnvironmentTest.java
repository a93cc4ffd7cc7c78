package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * libpq's environment variables, set for psql in an administrator's profile or run script, fill what the greydb URL
 * leaves out in greylitectl as in psql; the URL wins where it says something. greylitectl runs in a JVM of its own,
 * reading them from its real environment.
 */
@Timeout(120)
class LibpqEnvironmentTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    @RegisterExtension
    final SilentServer silent = new SilentServer();

    /** A server that takes the connection and never answers is given up after PGCONNECT_TIMEOUT, not greylitectl's 3 s. */
    @Test
    void pgconnectTimeoutBoundsTheWaitForAServerThatDoesNotAnswer() throws IOException {
        String url = "postgresql://mx@127.0.0.1:" + silent.port() + "/greylite";

        Ctl.MainRun run = Ctl.main(Map.of("PGCONNECT_TIMEOUT", "2"), "db", "stats", "--db", url);

        assertEquals("greylitectl: " + url + ": cannot connect: timed out after 2 s\n", run.run().err(), run.toString());
        assertEquals(2, run.run().exit(), run.toString());
    }

    /** PGHOST, PGPORT, PGUSER and PGDATABASE name the greydb of a URL that names none of them, as psql takes them. */
    @Test
    void theServerUserAndDatabaseComeFromTheEnvironment() {
        String database = PG.createDatabase();
        Map<String, String> env = new HashMap<>(PG.env());
        env.putAll(Map.of("PGHOST", PG.host(), "PGPORT", Integer.toString(PG.port()), "PGUSER", PostgresServer.USER,
                "PGDATABASE", database, "DBFILE", "postgresql://"));

        Ctl.MainRun init = Ctl.main(env, "db", "init");

        assertEquals(0, init.run().exit(), init.toString());
        assertEquals("1", PG.psql(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'triplet'").trim(),
                "the tables are made in PGDATABASE on PGHOST:PGPORT");

        String named = PG.createDatabase();
        Ctl.MainRun urlWins = Ctl.main(env, "db", "init", "--db", "postgresql:///" + named);

        assertEquals(0, urlWins.run().exit(), urlWins.toString());
        assertEquals("1", PG.psql(named, "SELECT count(*) FROM pg_tables WHERE tablename = 'triplet'").trim(),
                "the URL's database wins over PGDATABASE");
    }

    /**
     * A service of libpq's service file names the greydb's server, port, database and role, as it does for psql:
     * {@code postgresql://?service=NAME}, {@code service=NAME} or PGSERVICE. The host-less URL was refused.
     */
    @Test
    void aServiceOfTheServiceFileNamesTheGreydb(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws IOException {
        String database = PG.createDatabase();
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("pg_service.conf"), "[greydb]\nhost="
                + PG.host() + "\nport=" + PG.port() + "\ndbname=" + database + "\nuser=" + PostgresServer.USER + "\n");
        Map<String, String> env = new HashMap<>(PG.env());
        env.put("PGSERVICEFILE", file.toString());

        Ctl.MainRun init = Ctl.main(env, "db", "init", "--db", "postgresql://?service=greydb");

        assertEquals(0, init.run().exit(), init.toString());
        assertEquals("1", PG.psql(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'triplet'").trim(),
                "the tables are made in the service's database");
        env.put("PGSERVICE", "greydb");
        Ctl.MainRun stats = Ctl.main(env, "db", "stats", "--db", "postgresql://");
        assertEquals(0, stats.run().exit(), "PGSERVICE names it too: " + stats);
    }

    /**
     * A search_path naming no schema that exists, set by the connection's options (PGOPTIONS here): the advice is to
     * change it there. It was to ALTER ROLE, which the connection's setting overrides: followed, nothing changed.
     */
    @Test
    void aSearchPathSetByTheConnectionsOptionsIsToBeChangedThere() {
        String database = PG.createDatabase();
        Map<String, String> env = new HashMap<>(PG.env());
        env.put("PGOPTIONS", "-c search_path=nosuch");

        Ctl.MainRun run = Ctl.main(env, "db", "init", "--db", PG.url(database));

        assertEquals(2, run.run().exit(), run.toString());
        assertTrue(run.run().err().contains("search_path (nosuch)") && run.run().err().contains("PGOPTIONS")
                && !run.run().err().contains("ALTER ROLE"), run.toString());

        PG.psql(database, "ALTER DATABASE " + database + " SET search_path = nosuch");
        Ctl.Run byDatabase = Ctl.run(PG.env(), "db", "init", "--db", PG.url(database));
        assertTrue(byDatabase.err().contains("ALTER DATABASE \"" + database + "\" SET search_path = public"),
                byDatabase.toString());
    }

    /**
     * libpq's key/value connection string, as psql takes it, names the database it says: it was taken for the name of
     * an SQLite file, made in the current folder, where the host greylisted alone without a word.
     */
    @Test
    void aConnectionStringAsPsqlTakesItNamesTheDatabase() {
        String database = PG.createDatabase();
        String conninfo = "host=" + PG.host() + " port=" + PG.port() + " dbname=" + database + " user="
                + PostgresServer.USER;

        Ctl.MainRun init = Ctl.main(PG.env(), "db", "init", "--db", conninfo);

        assertEquals(0, init.run().exit(), init.toString());
        assertEquals("1", PG.psql(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'triplet'").trim(),
                init.toString());
        assertTrue(java.nio.file.Files.notExists(java.nio.file.Path.of(conninfo)), "no SQLite file of that name");
    }
}
