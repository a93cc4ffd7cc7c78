package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GreydbLocationTest {

    private static GreydbLocation.Postgres pg(String text) {
        return assertInstanceOf(GreydbLocation.Postgres.class, GreydbLocation.parse(text));
    }

    @Test
    void aPathIsAnSqliteFile() {
        assertEquals(new GreydbLocation.Sqlite(Path.of("/var/db/greylite/greylite.db")),
                GreydbLocation.parse("/var/db/greylite/greylite.db"));
        assertEquals(new GreydbLocation.Sqlite(Path.of("greylite-demo.db")), GreydbLocation.parse("greylite-demo.db"));
        assertEquals(new GreydbLocation.Sqlite(Path.of("/x/g.db")), GreydbLocation.parse("sqlite:/x/g.db"),
                "as the logs describe it");
        assertTrue(GreydbLocation.parse("g.db").describe().startsWith("sqlite:/"));
    }

    @Test
    void libpqUrls() {
        GreydbLocation.Postgres p = pg("postgresql://mx@db.example.net:5433/greylite");
        assertEquals(new GreydbLocation.Postgres("db.example.net", 5433, "greylite", "mx", Map.of()), p);
        assertEquals("postgresql://mx@db.example.net:5433/greylite", p.describe());
        assertEquals("jdbc:postgresql://db.example.net:5433/greylite", p.jdbcUrl());

        assertEquals(5432, pg("postgres://mx@db/greylite").port());
        assertEquals("mx", pg("postgresql://mx@db").database(), "the database defaults to the user, as in psql");
        assertEquals(System.getProperty("user.name"), pg("postgresql://db/greylite").user());
        assertEquals("[::1]", pg("postgresql://mx@[::1]:5432/greylite").host());
        assertEquals("mx@corp", pg("postgresql://mx%40corp@db/greylite").user(), "percent-escapes are decoded");
    }

    /** The driver's own short forms name no host and mean localhost, as in the driver. */
    @Test
    void theDriversShortFormsMeanLocalhost() {
        assertEquals(new GreydbLocation.Postgres("localhost", 5432, "greylite", "mx", Map.of()),
                pg("jdbc:postgresql:greylite?user=mx"));
        assertEquals(new GreydbLocation.Postgres("localhost", 5432, "mx", "mx", Map.of()), pg("jdbc:postgresql:/?user=mx"));
        assertEquals(6000, pg("jdbc:postgresql:greylite?user=mx&port=6000").port());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pg("postgresql:greylite"));
        assertTrue(e.getMessage().contains("must name a host"), e.getMessage());
    }

    /**
     * A primary and its standbys, as libpq and the JDBC driver take them, with libpq's target_session_attrs given to
     * the driver in its own words (it knows no such property, and would try the first server whatever it is).
     */
    @Test
    void severalServers() {
        GreydbLocation.Postgres p = pg("postgresql://mx@db1.example.net,db2.example.net:5433,[::1]/greylite"
                + "?target_session_attrs=read-write&sslmode=verify-full");
        assertEquals(List.of(new GreydbLocation.Server("db1.example.net", 5432),
                new GreydbLocation.Server("db2.example.net", 5433), new GreydbLocation.Server("[::1]", 5432)), p.servers());
        assertEquals(Map.of("targetServerType", "primary", "sslmode", "verify-full"), p.parameters());
        assertEquals("postgresql://mx@db1.example.net:5432,db2.example.net:5433,[::1]:5432/greylite", p.describe());
        assertEquals("jdbc:postgresql://db1.example.net:5432,db2.example.net:5433,[::1]:5432/greylite", p.jdbcUrl());
        assertEquals("mx", p.user());

        GreydbLocation.Postgres j = pg("jdbc:postgresql://db1:6000,db2:6001/greylite?user=mx&targetServerType=primary");
        assertEquals(new GreydbLocation.Postgres(List.of(new GreydbLocation.Server("db1", 6000),
                new GreydbLocation.Server("db2", 6001)), "greylite", "mx", Map.of("targetServerType", "primary")), j);
        assertEquals("secondary", pg("postgresql://mx@a,b/g?target_session_attrs=standby").parameters()
                .get("targetServerType"));
        assertEquals(Map.of(), pg("postgresql://mx@a,b/g").parameters(), "the driver's default: the first that answers");
    }

    /**
     * libpq's connect_timeout, given to the driver as its own two timeouts (it knows no connect_timeout, and ignored
     * it), read as libpq reads it: its least is 2 s, 0 or less is no limit, and the limit holds for each server.
     */
    @Test
    void connectTimeoutIsTheDriversConnectAndLoginTimeouts() {
        assertEquals(Map.of("connectTimeout", "10", "loginTimeout", "10"),
                pg("postgresql://mx@db/greylite?connect_timeout=10").parameters());
        assertEquals(Map.of("connectTimeout", "2", "loginTimeout", "2"),
                pg("postgresql://mx@db/greylite?connect_timeout=1").parameters());
        assertEquals(Map.of("connectTimeout", "0", "loginTimeout", "0"),
                pg("postgresql://mx@db/greylite?connect_timeout=-1").parameters());
        assertEquals(Map.of("connectTimeout", "5", "loginTimeout", "10"),
                pg("postgresql://mx@db1,db2/greylite?connect_timeout=%205%20").parameters());
        assertEquals(Map.of("connectTimeout", "5", "loginTimeout", "7"),
                pg("postgresql://mx@db/greylite?connect_timeout=5&loginTimeout=7").parameters());
        for (String url : new String[] {"postgresql://mx@db/greylite?connect_timeout=5s",
            "postgresql://mx@db/greylite?connect_timeout=5&connectTimeout=5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(url), url);
            assertTrue(e.getMessage().contains("connect_timeout"), e.getMessage());
        }
    }

    /** libpq's parameters the driver knows under another name, which it ignored under libpq's. */
    @Test
    void libpqNamesOfTheDriversParametersAreTheDrivers() {
        assertEquals(Map.of("ApplicationName", "mx1", "channelBinding", "require", "gssEncMode", "disable"),
                pg("postgresql://mx@db/greylite?application_name=mx1&channel_binding=require&gssencmode=disable")
                        .parameters());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GreydbLocation.parse("postgresql://mx@db/greylite?application_name=a&ApplicationName=b"));
        assertTrue(e.getMessage().contains("application_name and ApplicationName"), e.getMessage());
    }

    /**
     * libpq's host and port parameters, which psql honours and the JDBC driver ignores: the programs connected to the
     * URL's host, or localhost, on port 5432, wherever the parameters pointed.
     */
    @Test
    void hostAndPortParametersNameTheServersAsInPsql() {
        assertEquals(List.of(new GreydbLocation.Server("db.example.net", 5433)),
                pg("postgresql://mx@db.example.net/greylite?port=5433").servers());
        assertEquals(List.of(new GreydbLocation.Server("db2", 6000)),
                pg("postgresql://mx@db1:6000/greylite?host=db2").servers(), "the URL's port stays, as in libpq");
        GreydbLocation.Postgres p = pg("postgresql:///greylite?host=db1,db2,::1&port=6000,6001,6002&user=mx");
        assertEquals(List.of(new GreydbLocation.Server("db1", 6000), new GreydbLocation.Server("db2", 6001),
                new GreydbLocation.Server("[::1]", 6002)), p.servers());
        assertEquals("mx", p.user());
        assertEquals(Map.of(), p.parameters(), "nothing left for the driver to ignore");
        assertEquals(List.of(new GreydbLocation.Server("a", 7000), new GreydbLocation.Server("b", 7000)),
                pg("postgresql://mx@a,b/greylite?port=7000").servers(), "one port for every server");
        assertEquals(List.of(new GreydbLocation.Server("db", 6000)),
                pg("jdbc:postgresql://db/greylite?user=mx&port=6000").servers());
    }

    /**
     * libpq's environment variables fill what the URL leaves out, as psql takes them; the JDBC driver reads none of
     * them, and they were not read: PGHOST with a URL naming no host was refused as a unix socket, PGPORT's port was
     * 5432, PGCONNECT_TIMEOUT's limit the programs' own.
     */
    @Test
    void libpqsVariablesFillWhatTheUrlLeavesOut() {
        Map<String, String> env = Map.of("PGHOST", "db1,db2", "PGPORT", "6000", "PGUSER", "mx", "PGDATABASE", "grey",
                "PGCONNECT_TIMEOUT", "4", "PGSSLMODE", "verify-full", "PGAPPNAME", "mx1");
        GreydbLocation.Postgres all = assertInstanceOf(GreydbLocation.Postgres.class,
                GreydbLocation.parse("postgresql://", env));
        assertEquals(List.of(new GreydbLocation.Server("db1", 6000), new GreydbLocation.Server("db2", 6000)),
                all.servers());
        assertEquals("mx", all.user());
        assertEquals("grey", all.database());
        assertEquals(Map.of("connectTimeout", "4", "loginTimeout", "8", "sslmode", "verify-full",
                "ApplicationName", "mx1"), all.parameters());

        GreydbLocation.Postgres url = assertInstanceOf(GreydbLocation.Postgres.class, GreydbLocation.parse(
                "postgresql://ops@db:5433/greylite?connectTimeout=9&sslmode=require&ApplicationName=x", env));
        assertEquals(new GreydbLocation.Postgres("db", 5433, "greylite", "ops", Map.of("connectTimeout", "9",
                "sslmode", "require", "ApplicationName", "x")), url, "the URL wins where it says something");
        assertEquals(List.of(new GreydbLocation.Server("db", 6000)), assertInstanceOf(GreydbLocation.Postgres.class,
                GreydbLocation.parse("postgresql://db/greylite", env)).servers(), "PGPORT for a URL without a port");
        assertEquals(List.of(new GreydbLocation.Server("a", 5433), new GreydbLocation.Server("b", 5432)),
                assertInstanceOf(GreydbLocation.Postgres.class, GreydbLocation.parse("postgresql://a:5433,b/g", env))
                        .servers(), "a port in the URL's list: PGPORT is not read, as in libpq");
        assertEquals(new GreydbLocation.Postgres("db", 6000, "mx", "mx", Map.of()), GreydbLocation.parse(
                "postgresql://db", Map.of("PGPORT", "6000", "PGUSER", "mx")), "the database is the user, PGUSER's");
        assertEquals(new GreydbLocation.Sqlite(Path.of("/x/g.db")), GreydbLocation.parse("/x/g.db", env));

        IllegalArgumentException socket = assertThrows(IllegalArgumentException.class,
                () -> GreydbLocation.parse("postgresql:///greylite", Map.of("PGHOST", "/var/run/postgresql")));
        assertTrue(socket.getMessage().contains("unix socket") && socket.getMessage().endsWith(
                "(with PGHOST=/var/run/postgresql from the environment)"), socket.getMessage());
        IllegalArgumentException timeout = assertThrows(IllegalArgumentException.class,
                () -> GreydbLocation.parse("postgresql://db/g", Map.of("PGCONNECT_TIMEOUT", "5s")));
        assertTrue(timeout.getMessage().contains("PGCONNECT_TIMEOUT=5s"), timeout.getMessage());
    }

    /**
     * libpq's key/value connection string, which psql takes as well as a URL, names the same database as the URL: it
     * was taken for an SQLite file's name, made in the current folder.
     */
    @Test
    void aLibpqConnectionStringIsTheUrlOfTheSameParameters() {
        GreydbLocation.Postgres p = pg("host=db1,db2 port = 5433 dbname=greylite user='mx' application_name='mx 1'"
                + " connect_timeout=4");
        assertEquals(new GreydbLocation.Postgres(List.of(new GreydbLocation.Server("db1", 5433),
                new GreydbLocation.Server("db2", 5433)), "greylite", "mx", Map.of("ApplicationName", "mx 1",
                "connectTimeout", "4", "loginTimeout", "8")), p);
        assertEquals("it's", pg("host=db dbname='it\\'s' user=mx").database());
        assertEquals(new GreydbLocation.Postgres("db", 6000, "grey", "mx", Map.of()), GreydbLocation.parse(
                "dbname=grey", Map.of("PGHOST", "db", "PGPORT", "6000", "PGUSER", "mx")), "the environment fills in");
        IllegalArgumentException pw = assertThrows(IllegalArgumentException.class,
                () -> GreydbLocation.parse("host=db password='s3 cret' user=mx"));
        assertFalse(pw.getMessage().contains("s3"), pw.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse("host=db dbname='open"));
        assertInstanceOf(GreydbLocation.Sqlite.class, GreydbLocation.parse("/var/db/host=db.db"), "a path is a path");
        assertInstanceOf(GreydbLocation.Sqlite.class, GreydbLocation.parse("greylite=1.db"), "not libpq's keyword");
    }

    /**
     * A value the driver refuses at every connection is refused when the location is read: a program that outlives an
     * outage took the driver's refusal for a server not answering yet, and ran on failing every RCPT.
     */
    @Test
    void aValueTheDriverRefusesIsRefusedWithWhereItCameFrom() {
        IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
                () -> GreydbLocation.parse("postgresql://mx@db/g", Map.of("PGSSLMODE", "requre")));
        assertTrue(env.getMessage().contains("sslmode=requre is not one of disable, allow, prefer, require, verify-ca,"
                + " verify-full") && env.getMessage().endsWith("(with PGSSLMODE=requre from the environment)"),
                env.getMessage());
        for (String url : new String[] {"postgresql://mx@db/g?sslmode=Require", "postgresql://mx@db/g?gssencmode=no",
            "postgresql://mx@db/g?channel_binding=yes", "postgresql://mx@db/g?sslNegotiation=tls"}) {
            assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(url), url);
        }
        assertEquals("verify-ca", pg("postgresql://mx@db/g?sslmode=verify-ca").parameters().get("sslmode"));
    }

    /** Every libpq variable read is on the reference page, with the programs that read it. */
    @Test
    void everyLibpqVariableReadIsInTheSettingsModel() {
        for (String name : LibpqEnvironment.names()) {
            assertTrue(org.greylite.settings.Settings.byName(name) != null, name);
        }
    }

    /** The JDBC driver reaches PostgreSQL over TCP only: a socket directory is refused, saying what to write instead. */
    @Test
    void aUnixSocketIsRefusedWithTheTcpUrlToWriteInstead() {
        for (String url : new String[] {"postgresql:///greylite?host=/var/run/postgresql",
            "postgresql://mx@localhost/greylite?host=/var/run/postgresql", "postgresql://%2Fvar%2Frun%2Fpostgresql/greylite",
            "postgresql:///greylite", "postgresql://mx@/greylite"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(url), url);
            assertTrue(e.getMessage().contains("unix socket") && e.getMessage().contains("TCP")
                    && e.getMessage().contains("127.0.0.1"), e.getMessage());
        }
        for (String url : new String[] {"postgresql://mx@a,b,c/greylite?port=1,2", "postgresql://mx@db/g?port=x",
            "postgresql://mx@db/g?hostaddr=192.0.2.10"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(url), url);
            assertTrue(e.getMessage().contains("greydb URL"), e.getMessage());
        }
    }

    @Test
    void jdbcUrls() {
        GreydbLocation.Postgres p = pg("jdbc:postgresql://db:6000/greylite?user=mx&sslmode=verify-full");
        assertEquals(new GreydbLocation.Postgres("db", 6000, "greylite", "mx", Map.of("sslmode", "verify-full")), p);
    }

    @Test
    void parametersGoToTheDriver() {
        assertEquals(Map.of("sslmode", "require", "ApplicationName", "mx1"),
                pg("postgresql://mx@db/greylite?sslmode=require&ApplicationName=mx1").parameters());
    }

    @Test
    void aPasswordInTheUrlIsRefusedAndNotRepeated() {
        for (String url : new String[] {"postgresql://mx:s3cret@db/greylite", "jdbc:postgresql://db/greylite?user=mx&password=s3cret",
            "postgresql://mx@db/greylite?password=s3cret"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(url));
            assertTrue(e.getMessage().contains("PGPASSWORD") && e.getMessage().contains(".pgpass"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        }
    }

    @Test
    void malformedUrlsSayWhatIsExpected() {
        for (String url : new String[] {"postgresql:greylite", "postgresql://", "postgresql://a,/greylite",
            "postgresql://mx@a,b:99999/greylite", "postgresql://mx@db:99999/greylite",
            "jdbc:mysql://db/greylite", "postgresql://mx@db/greylite?target_session_attrs=writable",
            "postgresql://mx@db/greylite?target_session_attrs=primary&targetServerType=primary"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(url), url);
            assertTrue(e.getMessage().contains("greydb"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse("  "));
    }

    /**
     * libpq's service file: the URL's service=, or PGSERVICE, names a section whose lines fill what the URL leaves
     * out, before the environment's variables, the user's file before the system's, as psql takes them. A host-less
     * URL naming a service was refused, and a service beside a host ignored.
     */
    @Test
    void aServiceOfLibpqsServiceFileFillsWhatTheUrlLeavesOut(@TempDir Path dir) throws IOException {
        Path user = Files.writeString(dir.resolve("user.conf"), """
                # the user's
                [greydb]
                host = db1,db2
                port=6000
                dbname=grey
                user=mx
                connect_timeout=4

                [other]
                host=elsewhere
                """);
        Path sysconf = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(sysconf.resolve("pg_service.conf"), "[system]\nhost=sysdb\ndbname=sys\n[greydb]\nhost=never\n");
        Map<String, String> env = Map.of("PGSERVICEFILE", user.toString(), "PGSYSCONFDIR", sysconf.toString(),
                "PGHOST", "fromenv", "PGSSLMODE", "require");

        GreydbLocation.Postgres p = assertInstanceOf(GreydbLocation.Postgres.class,
                GreydbLocation.parse("postgresql://?service=greydb", env));
        assertEquals(List.of(new GreydbLocation.Server("db1", 6000), new GreydbLocation.Server("db2", 6000)),
                p.servers(), "the service's host wins over PGHOST, as in libpq; the user's file over the system's");
        assertEquals("grey", p.database());
        assertEquals("mx", p.user());
        assertEquals(Map.of("connectTimeout", "4", "loginTimeout", "8", "sslmode", "require"), p.parameters(),
                "the variables fill what the service leaves out too; service= is not handed to the driver");

        assertEquals(p, GreydbLocation.parse("service=greydb", env), "libpq's key/value form names it alike");

        Map<String, String> byVariable = new java.util.HashMap<>(env);
        byVariable.put("PGSERVICE", "system");
        GreydbLocation.Postgres system = assertInstanceOf(GreydbLocation.Postgres.class,
                GreydbLocation.parse("postgresql://ops@/", byVariable));
        assertEquals(List.of(new GreydbLocation.Server("sysdb", 5432)), system.servers(), "PGSYSCONFDIR's file");
        assertEquals("sys", system.database());
        assertEquals("ops", system.user(), "the URL's user wins");
        assertEquals(List.of(new GreydbLocation.Server("here", 6000)), GreydbLocation.parse(
                "postgresql://here/g?service=greydb", env) instanceof GreydbLocation.Postgres q ? q.servers() : null,
                "the URL's host wins over the service's, whose port fills the one the URL leaves out");

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> GreydbLocation.parse("postgresql://?service=nosuch", env));
        assertEquals("definition of service \"nosuch\" not found (looked in " + user + " and "
                + sysconf.resolve("pg_service.conf") + ")", missing.getMessage());
        Files.writeString(dir.resolve("pw.conf"), "[greydb]\nhost=db\npassword=s3cret\n");
        IllegalArgumentException password = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(
                "postgresql://?service=greydb", Map.of("PGSERVICEFILE", dir.resolve("pw.conf").toString())));
        assertTrue(password.getMessage().contains("holds a password") && !password.getMessage().contains("s3cret"),
                password.getMessage());
        Files.writeString(dir.resolve("bad.conf"), "[greydb]\nhost db\n");
        IllegalArgumentException syntax = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(
                "postgresql://?service=greydb", Map.of("PGSERVICEFILE", dir.resolve("bad.conf").toString())));
        assertTrue(syntax.getMessage().startsWith("syntax error in service file " + dir.resolve("bad.conf")
                + ", line 2"), syntax.getMessage());
        IllegalArgumentException badValue = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(
                "postgresql://?service=greydb", Map.of("PGSERVICEFILE", Files.writeString(dir.resolve("ssl.conf"),
                        "[greydb]\nhost=db\nsslmode=requre\n").toString())));
        assertTrue(badValue.getMessage().endsWith("(with service greydb of " + dir.resolve("ssl.conf") + ")"),
                badValue.getMessage());
    }
}
