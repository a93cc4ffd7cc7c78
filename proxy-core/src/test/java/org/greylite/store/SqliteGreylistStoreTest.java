package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class SqliteGreylistStoreTest {

    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final TripletKey KEY = new TripletKey("192.0.2.0/24", "a@x", "b@y");

    @TempDir
    Path dir;

    private Path db;
    private GreylistStore store;

    @BeforeEach
    void open() {
        db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Connection raw() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + db);
    }

    private long count(String sql) throws SQLException {
        try (Connection c = raw(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Optional<Triplet> read(TripletKey key) {
        return store.update(key, t -> new TripletUpdate<>(null, null, t));
    }

    @Test
    void anUpdateReadsWritesAndReturns() {
        assertEquals(Optional.empty(), read(KEY));
        Triplet pending = new Triplet(1, T0, T0, null);
        String result = store.update(KEY, t -> new TripletUpdate<>(pending, null, "first"));
        assertEquals("first", result);
        assertEquals(Optional.of(pending), read(KEY));

        Triplet passed = new Triplet(1, T0, T0.plusSeconds(300), T0.plusSeconds(300));
        store.update(KEY, t -> new TripletUpdate<>(passed, null, null));
        assertEquals(Optional.of(passed), read(KEY));
        assertEquals(Optional.empty(), read(new TripletKey("192.0.2.0/24", "a@x", "other@y")));
    }

    @Test
    void theWholeKeyMatters() {
        Triplet t = new Triplet(1, T0, T0, null);
        store.update(KEY, x -> new TripletUpdate<>(t, null, null));
        assertEquals(Optional.empty(), read(new TripletKey("192.0.3.0/24", "a@x", "b@y")));
        assertEquals(Optional.empty(), read(new TripletKey("192.0.2.0/24", "", "b@y")));
        assertEquals(Optional.empty(), read(new TripletKey("192.0.2.0/24", "A@x", "b@y")), "the store compares exactly");
    }

    @Test
    void aDecisionThatThrowsLeavesNothingAndTheStoreUsable() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        assertThrows(IllegalStateException.class, () -> store.update(KEY, t -> {
            throw boom;
        }));
        assertEquals(Optional.empty(), read(KEY), "no transaction was left open");
        store.update(KEY, t -> new TripletUpdate<>(new Triplet(1, T0, T0, null), T0, null));
        assertEquals(1, count("SELECT COUNT(*) FROM triplet"), "visible to another connection: committed");
        assertEquals(1, count("SELECT COUNT(*) FROM whitelist"));
    }

    @Test
    void theWhitelistWriteIsPartOfTheSameTransaction() throws Exception {
        Instant later = T0.plusSeconds(600);
        store.update(KEY, t -> new TripletUpdate<>(new Triplet(1, T0, later, later), later, null));
        assertTrue(store.whitelisted("192.0.2.0/24", later, Duration.ofDays(36), Duration.ofHours(1)));
        // A second pass with an older time does not move last_seen back.
        store.update(new TripletKey("192.0.2.0/24", "c@x", "d@y"), t -> new TripletUpdate<>(null, T0, null));
        try (Connection c = raw(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT source, created, last_seen, expires FROM whitelist")) {
            assertTrue(rs.next());
            assertEquals("auto", rs.getString(1));
            assertEquals(later.getEpochSecond(), rs.getLong(2));
            assertEquals(later.getEpochSecond(), rs.getLong(3));
            rs.getLong(4);
            assertTrue(rs.wasNull());
        }
    }

    @Test
    void whitelistEntriesExpireAndRenew() throws Exception {
        Duration lifetime = Duration.ofDays(36);
        Duration renewAfter = Duration.ofHours(1);
        assertFalse(store.whitelisted("192.0.2.0/24", T0, lifetime, renewAfter));
        store.update(KEY, t -> new TripletUpdate<>(null, T0, null));

        assertTrue(store.whitelisted("192.0.2.0/24", T0.plus(Duration.ofMinutes(59)), lifetime, renewAfter));
        assertEquals(T0.getEpochSecond(), count("SELECT last_seen FROM whitelist"), "young entries are not rewritten");

        Instant t1 = T0.plus(Duration.ofHours(2));
        assertTrue(store.whitelisted("192.0.2.0/24", t1, lifetime, renewAfter));
        assertEquals(t1.getEpochSecond(), count("SELECT last_seen FROM whitelist"), "renewed");

        assertTrue(store.whitelisted("192.0.2.0/24", t1.plus(lifetime).minusSeconds(1), lifetime, renewAfter));
        Instant t2 = t1.plus(lifetime).minusSeconds(1);
        assertFalse(store.whitelisted("192.0.2.0/24", t2.plus(lifetime), lifetime, renewAfter));
        assertFalse(store.whitelisted("192.0.2.1", t1, lifetime, renewAfter), "keys compare exactly");
    }

    @Test
    void adminEntriesIgnoreTheLifetime() throws Exception {
        long t0 = T0.getEpochSecond();
        try (Connection c = raw(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO whitelist (client, source, created, last_seen, expires, comment) VALUES"
                    + " ('198.51.100.0/24', 'admin', " + t0 + ", " + t0 + ", NULL, 'partner'),"
                    + " ('203.0.113.0/24', 'admin', " + t0 + ", " + t0 + ", " + (t0 + 3600) + ", 'until the migration')");
        }
        Duration lifetime = Duration.ofDays(1);
        assertTrue(store.whitelisted("198.51.100.0/24", T0.plus(Duration.ofDays(400)), lifetime, Duration.ofHours(1)));
        assertTrue(store.whitelisted("203.0.113.0/24", T0.plusSeconds(3599), lifetime, Duration.ofHours(1)));
        assertFalse(store.whitelisted("203.0.113.0/24", T0.plusSeconds(3600), lifetime, Duration.ofHours(1)));
        assertEquals(1, store.purgeExpired(T0.plus(Duration.ofDays(400)), Duration.ofDays(1), lifetime));
        assertEquals(1, count("SELECT COUNT(*) FROM whitelist WHERE client = '198.51.100.0/24'"));
    }

    @Test
    void theJournalIsWal() throws Exception {
        try (Connection c = raw(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertEquals("wal", rs.getString(1));
        }
    }

    /** It holds who mailed whom: other local users may not read it, nor its -wal and -shm, whatever the umask. */
    @Test
    void aNewGreydbAndItsLogAreNotForOtherUsers() throws Exception {
        store.update(KEY, t -> new TripletUpdate<>(new Triplet(1, T0, T0, null), null, null));
        for (Path p : new Path[] {db, Path.of(db + "-wal"), Path.of(db + "-shm")}) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            assertTrue(perms.contains(PosixFilePermission.OWNER_READ) && perms.contains(PosixFilePermission.OWNER_WRITE),
                    p + ": " + perms);
            assertFalse(perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.OTHERS_WRITE),
                    p + ": " + PosixFilePermissions.toString(perms));
        }
    }

    @Test
    void describeNamesTheFile() {
        assertEquals("sqlite:" + db.toAbsolutePath(), store.describe());
    }

    @Test
    void aClosedStoreThrowsStoreException() {
        store.close();
        StoreException e = assertThrows(StoreException.class, () -> read(KEY));
        assertTrue(e.getMessage().startsWith("sqlite:" + db), e.getMessage());
        assertThrows(StoreException.class, () -> store.whitelisted("x", T0, Duration.ofDays(1), Duration.ofHours(1)));
        assertThrows(StoreException.class, () -> store.purgeExpired(T0, Duration.ofDays(1), Duration.ofDays(2)));
        store.close(); // twice is harmless
    }

    /** Another process holding the write lock for a moment: the update waits for it (busy timeout). */
    @Test
    void anUpdateWaitsForAnotherWriter() throws Exception {
        try (Connection other = raw(); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            st.execute("INSERT INTO triplet VALUES ('192.0.2.0/24', 'a@x', 'b@y', 7, 0, 0, NULL)");
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<Optional<Triplet>> waiting = CompletableFuture.supplyAsync(() -> {
                started.countDown();
                return read(KEY);
            });
            // the update has begun before the pause is counted, so "not done" means it is waiting for the lock
            assertTrue(started.await(10, TimeUnit.SECONDS), "the update started");
            Thread.sleep(300);
            assertFalse(waiting.isDone(), "the update must wait for the other writer");
            st.execute("COMMIT");
            assertEquals(7, waiting.get(10, TimeUnit.SECONDS).orElseThrow().refusals(),
                    "it reads what the other writer committed");
        }
    }

    @Test
    void aPurgeRoundWhoseMomentRanOutBeforeTheClaimIsLeftToALaterProcess() throws Exception {
        // A busy host (fifty sessions ending at once): reading when the last purge was takes the whole moment a
        // claim may wait, and another process holds the write lock. The round is a later process's; it is no
        // failure to log. (With the lock free, the claim past its moment still takes it: that costs no wait.)
        SqliteDialect real = SqliteDialect.open(db, Duration.ofSeconds(5));
        GreydbDialect slowRead = (GreydbDialect) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {GreydbDialect.class}, (proxy, method, args) -> {
                    if (method.getName().equals("transaction") && args[0] instanceof String what
                            && what.equals("cannot read the last purge")) {
                        Thread.sleep(400);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (GreylistStore slow = new SqlGreylistStore(slowRead);
             Connection other = raw(); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            assertFalse(slow.claimPurge(T0, Duration.ofMinutes(10)), "not this process's round, and no exception");
            st.execute("ROLLBACK");
        }
        assertTrue(store.claimPurge(T0, Duration.ofMinutes(10)), "the round is still there for the next process");
    }

    @Test
    void anUpdateGivesUpAfterTheBusyTimeout() throws Exception {
        try (GreylistStore impatient = GreylistStores.sqlite(db, Duration.ofMillis(100));
             Connection other = raw(); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            try {
                long start = System.nanoTime();
                StoreException e = assertThrows(StoreException.class,
                        () -> impatient.update(KEY, t -> new TripletUpdate<>(new Triplet(1, T0, T0, null), null, null)));
                long elapsed = System.nanoTime() - start;
                assertTrue(e.getMessage().contains("the greydb stayed locked by another process for the "), e.getMessage());
                // it waited for the lock before giving up, not failed at the first refusal
                assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(80), "gave up after only " + elapsed / 1_000_000 + " ms");
            } finally {
                st.execute("ROLLBACK");
            }
            impatient.update(KEY, t -> new TripletUpdate<>(new Triplet(1, T0, T0, null), null, null));
            assertEquals(1, count("SELECT COUNT(*) FROM triplet"), "usable again once the lock is free");
        }
    }
}
