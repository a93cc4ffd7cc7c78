package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What only the PostgreSQL greydb has to get right: its schema, its password, and a server that comes and goes. */
@Timeout(120)
class PostgresGreylistStoreTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final TripletKey KEY = new TripletKey("192.0.2.0/24", "a@x", "b@y");
    // Short enough to keep outage tests quick, long enough for a fresh database on a busy CI machine.
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private static GreydbOptions options(Map<String, String> env) {
        return new GreydbOptions(TIMEOUT, 4, env);
    }

    private static Optional<Triplet> read(GreylistStore store, TripletKey key) {
        return store.update(key, t -> new TripletUpdate<>(null, null, t));
    }

    private static String count(GreylistStore store) {
        return store.update(KEY, t -> new TripletUpdate<>(new Triplet(t.map(x -> x.refusals() + 1).orElse(1), T0, T0, null),
                null, "ok"));
    }

    @Test
    void theTablesAreThoseOfTheSqliteSchemaInPostgresTypes() throws Exception {
        String database = PG.createDatabase();
        GreylistStores.open(PG.url(database), options(PG.env())).close();
        Path sqlite = dir.resolve("greylite.db");
        GreylistStores.open(sqlite.toString(), options(Map.of())).close();

        List<String> sqliteColumns = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + sqlite); Statement st = c.createStatement()) {
            for (String table : GreydbSchema.tables()) {
                try (ResultSet rs = st.executeQuery("PRAGMA table_info(" + table + ")")) {
                    while (rs.next()) {
                        // name, NOT NULL, position in the primary key
                        sqliteColumns.add(table + "." + rs.getString("name") + " notnull=" + (rs.getInt("notnull") == 1 || rs.getInt("pk") > 0)
                                + " pk=" + rs.getInt("pk"));
                    }
                }
            }
        }
        String pg = PG.psql(database, "SELECT c.table_name || '.' || c.column_name || ' notnull=' || (c.is_nullable = 'NO')"
                + " || ' pk=' || COALESCE(k.ordinal_position, 0) FROM information_schema.columns c"
                + " LEFT JOIN information_schema.table_constraints t ON t.table_name = c.table_name"
                + "  AND t.table_schema = c.table_schema AND t.constraint_type = 'PRIMARY KEY'"
                + " LEFT JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name"
                + "  AND k.table_schema = c.table_schema AND k.column_name = c.column_name"
                + " WHERE c.table_schema = 'public' ORDER BY c.table_name, c.ordinal_position");
        assertEquals(String.join("\n", sqliteColumns), pg);
        assertEquals("1", PG.psql(database, "SELECT value FROM greydb_meta WHERE key = 'schema_version'"));
        assertEquals("bigint", PG.psql(database, "SELECT data_type FROM information_schema.columns"
                + " WHERE table_name = 'triplet' AND column_name = 'first_seen'"));
    }

    @Test
    void hostsStartingTogetherOnANewDatabaseCreateTheTablesOnce() throws Exception {
        String url = PG.url(PG.createDatabase());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<String>> hosts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                hosts.add(pool.submit(() -> {
                    go.await();
                    try (GreylistStore store = GreylistStores.open(url, options(PG.env()))) {
                        return store.update(new TripletKey("192.0.2.1", "a@x", "b@y"),
                                t -> new TripletUpdate<>(null, null, "decided"));
                    }
                }));
            }
            go.countDown();
            for (Future<String> h : hosts) {
                assertEquals("decided", h.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void thePasswordComesFromThePasswordFile() throws Exception {
        String database = PG.createDatabase();
        Path pgpass = dir.resolve("pgpass");
        Files.writeString(pgpass, "127.0.0.1:" + PG.port() + ":" + database + ":" + PostgresServer.USER + ":" + PG.password() + "\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
        try (GreylistStore store = GreylistStores.open(PG.url(database), options(Map.of("PGPASSFILE", pgpass.toString())))) {
            assertEquals("ok", count(store));
        }
    }

    /**
     * libpq's passfile parameter, which psql reads before PGPASSFILE and ~/.pgpass: the driver knows no such
     * property, and the program connected without a password ("the server asks for a password").
     */
    @Test
    void thePasswordFileNamedInTheUrlIsReadAsPsqlReadsIt() throws Exception {
        String database = PG.createDatabase();
        Path pgpass = dir.resolve("greylite.pgpass");
        Files.writeString(pgpass, "*:*:" + database + ":" + PostgresServer.USER + ":" + PG.password() + "\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));
        Path other = dir.resolve("other.pgpass");
        Files.writeString(other, "*:*:*:*:not-this-one\n");
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-------"));
        try (GreylistStore store = GreylistStores.open(PG.url(database) + "?passfile=" + pgpass,
                options(Map.of("PGPASSFILE", other.toString(), "HOME", dir.toString())))) {
            assertEquals("ok", count(store));
        }
    }

    /** The driver's short form, which names no host and means localhost: it was refused as naming no host. */
    @Test
    void theDriversShortUrlReachesTheServerOnLocalhost() {
        String database = PG.createDatabase();
        String url = "jdbc:postgresql:" + database + "?port=" + PG.port() + "&user=" + PostgresServer.USER;
        try (GreylistStore store = GreylistStores.open(url, options(PG.env()))) {
            assertEquals("ok", count(store));
            assertEquals("postgresql://" + PostgresServer.USER + "@localhost:" + PG.port() + "/" + database, store.describe());
        }
    }

    /** Each MX host may name itself to the DBA as psql's URL does: the driver ignored application_name. */
    @Test
    void theUrlsApplicationNameIsTheSessionsName() {
        String database = PG.createDatabase();
        try (GreylistStore store = GreylistStores.open(PG.url(database) + "?application_name=mx1", options(PG.env()))) {
            assertEquals("ok", count(store));
            assertEquals("mx1", PG.psql(database, "SELECT DISTINCT application_name FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND pid <> pg_backend_pid()"));
        }
    }

    @Test
    void aPasswordFileOthersMayReadIsNotUsedByTheDriverEither() throws Exception {
        String database = PG.createDatabase();
        Path pgpass = dir.resolve("pgpass");
        Files.writeString(pgpass, "127.0.0.1:" + PG.port() + ":" + database + ":" + PostgresServer.USER + ":" + PG.password() + "\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-r--r--"));
        // Where the driver looks for a password file of its own when given no password (as it would find PGPASSFILE).
        String before = System.setProperty("org.postgresql.pgpassfile", pgpass.toString()) == null ? null : "";
        try {
            StoreException e = assertThrows(StoreException.class, () -> GreylistStores.open(PG.url(database),
                    options(Map.of("PGPASSFILE", pgpass.toString(), "HOME", dir.toString()))));
            assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
        } finally {
            System.clearProperty("org.postgresql.pgpassfile");
        }
        assertTrue(before == null, "nothing had set the driver's property before this test");
    }

    @Test
    void aWrongPasswordIsAnErrorAtOnceAndSaysWhereThePasswordComesFrom() {
        String url = PG.url(PG.createDatabase());
        long start = System.nanoTime();
        StoreException e = assertThrows(StoreException.class,
                () -> GreylistStores.open(url, options(Map.of("PGPASSWORD", "wrong", "HOME", dir.toString()))));
        // Not after the pool's timeout (the busy timeout), trying the refused password again and again.
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(TIMEOUT) < 0, "refused at the first try");
        assertTrue(e.getMessage().startsWith(GreydbLocation.parse(url).describe() + ": cannot connect: "), e.getMessage());
        assertTrue(e.getMessage().contains("password authentication failed") && e.getMessage().contains("PGPASSWORD"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("wrong"), "the password is never shown: " + e.getMessage());
    }

    @Test
    void aMissingDatabaseIsAnErrorAtOnce() {
        long start = System.nanoTime();
        StoreException e = assertThrows(StoreException.class,
                () -> GreylistStores.open(PG.url("nosuchdb"), options(PG.env())));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(TIMEOUT) < 0, "refused at the first try");
        assertTrue(e.getMessage().contains("nosuchdb") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void nobodyListeningFailsEachOperationQuicklyAndClearly() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "postgresql://mx@127.0.0.1:" + port + "/greylite";
        String expected = "postgresql://mx@127.0.0.1:" + port + "/greylite: cannot connect: Connection refused";

        StoreException adminError = assertThrows(StoreException.class, () -> GreylistStores.admin(GreydbLocation.parse(url), options(Map.of())));
        assertEquals(expected, adminError.getMessage(), "greylitectl needs the server");

        try (GreylistStore store = GreylistStores.open(url, options(Map.of()))) { // greylited starts anyway
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                StoreException e = assertThrows(StoreException.class, () -> count(store));
                assertEquals(expected, e.getMessage());
                assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(TIMEOUT.plusSeconds(2)) < 0);
            }
        }
    }

    /** A server that takes the connection and never says a word: every wait must still end. */
    @Test
    void aSilentServerCannotHoldAnOperationLongerThanTheTimeouts() throws Exception {
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String url = "postgresql://mx@127.0.0.1:" + silent.getLocalPort() + "/greylite";
            long start = System.nanoTime();
            try (GreylistStore store = GreylistStores.open(url, options(Map.of()))) {
                StoreException e = assertThrows(StoreException.class, () -> count(store));
                assertTrue(e.getMessage().startsWith(url + ": cannot connect: "), e.getMessage());
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(TIMEOUT.multipliedBy(2).plusSeconds(4)) < 0, "took " + took);
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void aServerThatStopsAnsweringIsSaidToGiveNoAnswerNotToHaveClosedTheConnection() throws Exception {
        // The pool gave up on its connections to a hung server and had none to give: the driver's words for the one
        // it dropped ("This connection has been closed.") were the message, which sent the administrator looking for
        // who closed it.
        String url = PG.url(PG.createDatabase());
        try (GreylistStore store = GreylistStores.open(url, options(PG.env()))) {
            assertEquals("ok", count(store));
            Thread.sleep(1500); // the pool checks a connection idle that long before handing it out
            PG.freeze();
            try {
                StoreException e = assertThrows(StoreException.class, () -> count(store));
                String described = GreydbLocation.parse(url).describe();
                assertTrue(e.getMessage().startsWith(described + ": "), e.getMessage());
                assertFalse(e.getMessage().contains("has been closed"), e.getMessage());
                assertTrue(e.getMessage().contains("no answer within " + TIMEOUT.toMillis() + " ms")
                        || e.getMessage().contains("timed out"), e.getMessage());
            } finally {
                PG.thaw();
            }
        }
    }

    @Test
    void whenTheServerGoesAwayOperationsFailAndThenRecoverOnTheirOwn() throws Exception {
        String url = PG.url(PG.createDatabase());
        try (GreylistStore store = GreylistStores.open(url, options(PG.env()))) {
            assertEquals("ok", count(store));
            PG.stop();
            try {
                long start = System.nanoTime();
                for (int i = 0; i < 5; i++) {
                    StoreException e = assertThrows(StoreException.class, () -> count(store));
                    assertTrue(e.getMessage().startsWith(GreydbLocation.parse(url).describe() + ": "), e.getMessage());
                }
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(took.compareTo(TIMEOUT.multipliedBy(5).plusSeconds(3)) < 0, "5 failures took " + took);
            } finally {
                PG.start();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String result = null;
            while (result == null && System.nanoTime() < deadline) {
                try {
                    result = count(store);
                } catch (StoreException e) {
                    Thread.sleep(100);
                }
            }
            assertEquals("ok", result, "the pool reconnected by itself");
            assertEquals(2, read(store, KEY).orElseThrow().refusals(), "nothing was lost or written twice");
        }
    }

    @Test
    void decisionsAskedInOneTransactionEachCommitOnTheirOwn() {
        // PostgreSQL does not join them (GreylistStore.inOneTransaction says why): another host sees each at once.
        String database = PG.createDatabase();
        try (GreylistStore store = GreylistStores.open(PG.url(database), options(PG.env()))) {
            List<String> seen = store.inOneTransaction(System.nanoTime(), () -> {
                List<String> out = new ArrayList<>();
                count(store);
                out.add(PG.psql(database, "SELECT refusals FROM triplet"));
                count(store);
                out.add(PG.psql(database, "SELECT refusals FROM triplet"));
                return out;
            });
            assertEquals(List.of("1", "2"), seen);
        }
    }
}
