package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GreylistStore#inOneTransaction} on an SQLite greydb: the decisions in it share one transaction. */
class SqliteBatchTest {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    static final TripletKey FIRST = new TripletKey("192.0.2.0/24", "a@x", "b@y");
    static final TripletKey SECOND = new TripletKey("192.0.2.0/24", "a@x", "c@y");

    @TempDir
    Path dir;

    private Path db;
    private GreylistStore store;

    @BeforeEach
    void open() {
        db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofMillis(500));
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** One more refusal on the triplet's row (1 for a new row); returns the refusals it found before. */
    private int refuse(TripletKey key) {
        return refuse(store, key);
    }

    private static int refuse(GreylistStore store, TripletKey key) {
        return store.update(key, row -> new TripletUpdate<>(
                new Triplet(row.map(t -> t.refusals() + 1).orElse(1), T0, T0, null), null, row.map(Triplet::refusals).orElse(0)));
    }

    private Optional<Triplet> read(TripletKey key) {
        return store.update(key, row -> new TripletUpdate<>(null, null, row));
    }

    /** The committed rows, as another process sees them. */
    private long committedRows() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM triplet")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void theDecisionsOfABatchSeeEachOthersWritesAndAreCommittedTogetherWhenItEnds() throws Exception {
        long[] seenInside = new long[1];
        int before = store.inOneTransaction(System.nanoTime(), () -> {
            refuse(FIRST);
            int found = refuse(FIRST); // sees the first write, not yet committed
            refuse(SECOND);
            try {
                seenInside[0] = committedRows();
            } catch (SQLException e) {
                throw new AssertionError(e);
            }
            return found;
        });
        assertEquals(1, before);
        assertEquals(0, seenInside[0], "nothing is committed before the batch ends");
        assertEquals(2, committedRows());
        assertEquals(2, read(FIRST).orElseThrow().refusals());
    }

    @Test
    void aFailureInTheBatchLeavesNoneOfItsWritesAndTheGreydbServesOn() throws Exception {
        StoreException e = assertThrows(StoreException.class, () -> store.inOneTransaction(System.nanoTime(), () -> {
            refuse(FIRST);
            refuse(SECOND);
            throw new StoreException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals(0, committedRows());
        assertEquals(0, refuse(FIRST));
        assertEquals(1, committedRows());
    }

    @Test
    void aBatchWaitsForAnotherProcesssLockNoLongerThanTheBusyTimeout() throws Exception {
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            long start = System.nanoTime();
            StoreException e = assertThrows(StoreException.class,
                    () -> store.inOneTransaction(System.nanoTime(), () -> refuse(FIRST)));
            assertTrue(e.getMessage().startsWith("sqlite:" + db.toAbsolutePath() + ": ") && e.getMessage().contains("locked"),
                    e.getMessage());
            long elapsed = System.nanoTime() - start;
            // It waited for the lock (a load only lengthens the wait) and gave up instead of hanging.
            assertTrue(elapsed >= Duration.ofMillis(400).toNanos(), "gave up after only " + elapsed / 1_000_000 + " ms");
            assertTrue(elapsed < Duration.ofSeconds(10).toNanos(), "waited " + elapsed / 1_000_000 + " ms");
            st.execute("ROLLBACK");
        }
        assertEquals(0, refuse(FIRST));
    }

    /**
     * A batch whose busy timeout ran out before it began (greydaemon counts datagrams that came during a long batch
     * from before it): a free greydb is still used, and a locked one refused at once, without a wait.
     */
    @Test
    void aBatchPastItsDeadlineTakesAFreeGreydbAndDoesNotWaitForALockedOne() throws Exception {
        long longAgo = System.nanoTime() - Duration.ofSeconds(10).toNanos();
        assertEquals(0, store.inOneTransaction(longAgo, () -> refuse(FIRST)), "decided, not failed unasked");
        assertEquals(1, committedRows());
        // A busy timeout of a minute, asked two minutes ago: a wait for the lock, had there been one, would be of a
        // whole busy timeout, far beyond the bound, which is left wide for a loaded machine.
        try (GreylistStore patient = GreylistStores.sqlite(db, Duration.ofMinutes(1));
             Connection other = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            long start = System.nanoTime();
            StoreException e = assertThrows(StoreException.class,
                    () -> patient.inOneTransaction(System.nanoTime() - Duration.ofMinutes(2).toNanos(), () -> refuse(patient, SECOND)));
            long elapsed = System.nanoTime() - start;
            assertTrue(e.getMessage().contains("no time left within the busy timeout of 60000 ms"), e.getMessage());
            assertTrue(elapsed < Duration.ofSeconds(20).toNanos(), "waited " + elapsed / 1_000_000 + " ms");
            st.execute("ROLLBACK");
        }
        assertEquals(1, committedRows());
    }

    @Test
    void aBatchThatNeverUsesTheGreydbTakesNoLock() throws Exception {
        try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = other.createStatement()) {
            // Another process writes: a batch that began a transaction would fail after the busy timeout.
            st.execute("BEGIN IMMEDIATE");
            assertEquals("from memory", store.inOneTransaction(System.nanoTime(), () -> "from memory"));
            st.execute("ROLLBACK");
        }
    }

    @Test
    void aBatchInsideABatchJoinsIt() throws Exception {
        store.inOneTransaction(System.nanoTime(), () -> store.inOneTransaction(System.nanoTime(), () -> refuse(FIRST)));
        assertEquals(1, committedRows());
        assertThrows(StoreException.class, () -> store.inOneTransaction(System.nanoTime(), () -> {
            store.inOneTransaction(System.nanoTime(), () -> refuse(SECOND));
            throw new StoreException("later failure");
        }));
        assertEquals(1, committedRows(), "the inner batch's write went with the outer one");
    }
}
