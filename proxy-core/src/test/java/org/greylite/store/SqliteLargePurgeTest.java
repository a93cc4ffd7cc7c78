package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The purge of a large SQLite greydb, as a busy host has one after months, beside the decisions of other
 * processes: it removes what has expired in short transactions, so a decision asked meanwhile is made and
 * recorded between two of them instead of waiting behind one that holds the write lock for the whole table
 * (seconds on a greydb of millions of rows, past the busy timeout: the mail passed ungreylisted).
 */
@Timeout(120)
class SqliteLargePurgeTest {

    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final Duration RETRY_WINDOW = Duration.ofDays(1);
    private static final Duration LIFETIME = Duration.ofDays(36);
    private static final int EXPIRED_PENDING = 30_000;
    private static final int EXPIRED_PASSED = 20_000;
    private static final int EXPIRED_WHITELIST = 5_000;
    private static final int LIVE = 500;
    private static final int EXPIRED = EXPIRED_PENDING + EXPIRED_PASSED + EXPIRED_WHITELIST;

    @TempDir
    Path dir;

    private Path db;
    private GreylistStore store;

    @BeforeEach
    void fill() throws SQLException {
        db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
        long now = NOW.getEpochSecond();
        long pendingExpired = now - RETRY_WINDOW.getSeconds() - 3600;
        long usedExpired = now - LIFETIME.getSeconds() - 3600;
        try (Connection c = raw(); Statement st = c.createStatement()) {
            st.execute("BEGIN");
            st.execute(rows(EXPIRED_PENDING, "'198.51.' || (i % 256) || '.0/24'", "'p' || i || '@example.org'",
                    pendingExpired, pendingExpired, "NULL"));
            st.execute(rows(EXPIRED_PASSED, "'203.0.' || (i % 256) || '.0/24'", "'d' || i || '@example.org'",
                    usedExpired - 600, usedExpired, Long.toString(usedExpired)));
            st.execute(rows(LIVE, "'192.0.2.0/24'", "'live' || i || '@example.org'", now - 60, now - 60, "NULL"));
            st.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " + (EXPIRED_WHITELIST - 1)
                    + ") INSERT INTO whitelist (client, source, created, last_seen) SELECT '10.' || (i / 256) || '.'"
                    + " || (i % 256) || '.0/24', 'auto', " + usedExpired + ", " + usedExpired + " FROM n");
            st.execute("COMMIT");
        }
    }

    /** {@code count} triplets from one sender, made by SQLite itself (fast enough for a test of tens of thousands). */
    private static String rows(int count, String client, String recipient, long first, long last, String passed) {
        return "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " + (count - 1) + ")"
                + " INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen, passed_at)"
                + " SELECT " + client + ", 's@example.net', " + recipient + ", 1, " + first + ", " + last + ", " + passed
                + " FROM n";
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Connection raw() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + db);
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The expired rows still in the file, as a reader in another process sees them. */
    private static long expiredLeft(Connection reader) throws SQLException {
        return count(reader, "SELECT COUNT(*) FROM triplet WHERE client <> '192.0.2.0/24'")
                + count(reader, "SELECT COUNT(*) FROM whitelist");
    }

    @Test
    void decisionsOfAnotherProcessAreMadeAndRecordedWhileTheWholeGreydbIsPurged() throws Exception {
        try (GreylistStore other = GreylistStores.sqlite(db, Duration.ofSeconds(5)); Connection reader = raw()) {
            // Each decision of the other process reads, under its write lock, how much of the purge is done: the
            // committed state cannot move while it holds the lock.
            List<Long> seen = new ArrayList<>();
            CompletableFuture<Integer> purge = null;
            int decisions = 0;
            while (purge == null || !purge.isDone()) {
                TripletKey key = new TripletKey("192.0.2.0/24", "s@example.net", "new" + decisions + "@example.org");
                seen.add(other.update(key, row -> {
                    try {
                        return new TripletUpdate<>(new Triplet(1, NOW, NOW, null), null, expiredLeft(reader));
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }));
                decisions++;
                Thread.sleep(2); // RCPTs come one after another, not all at the same instant
                if (purge == null) { // the other process is deciding: the purge starts now
                    purge = CompletableFuture.supplyAsync(() -> store.purgeExpired(NOW, RETRY_WINDOW, LIFETIME));
                }
            }
            assertEquals(EXPIRED, purge.get(60, TimeUnit.SECONDS), "every expired row is removed");
            assertEquals(EXPIRED, seen.get(0), "the first decision came before the purge");
            assertTrue(seen.stream().anyMatch(left -> left > 0 && left < EXPIRED),
                    "a decision got in between two of the purge's transactions: " + seen);
            assertEquals(0, expiredLeft(reader));
            assertEquals(LIVE + decisions, count(reader, "SELECT COUNT(*) FROM triplet WHERE client = '192.0.2.0/24'"),
                    "the live triplets and every decision made meanwhile are in the file");
        }
    }

    @Test
    void greylitectlsPurgeLetsDecisionsInToo() throws Exception {
        try (GreydbAdmin admin = GreylistStores.sqliteAdmin(db, Duration.ofSeconds(5)); Connection reader = raw()) {
            List<Long> seen = new ArrayList<>();
            CompletableFuture<Integer> purge = null;
            int decisions = 0;
            while (purge == null || !purge.isDone()) {
                TripletKey key = new TripletKey("192.0.2.0/24", "s@example.net", "new" + decisions + "@example.org");
                seen.add(store.update(key, row -> {
                    try {
                        return new TripletUpdate<>(new Triplet(1, NOW, NOW, null), null, expiredLeft(reader));
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }));
                decisions++;
                Thread.sleep(2);
                if (purge == null) {
                    purge = CompletableFuture.supplyAsync(() -> admin.purgeExpired(NOW, RETRY_WINDOW, LIFETIME));
                }
            }
            assertEquals(EXPIRED, purge.get(60, TimeUnit.SECONDS));
            assertTrue(seen.stream().anyMatch(left -> left > 0 && left < EXPIRED),
                    "a decision got in between two of the purge's transactions: " + seen);
            assertEquals(LIVE + decisions, count(reader, "SELECT COUNT(*) FROM triplet"));
        }
    }

    @Test
    void greylitectlsDeleteOfManyTripletsLetsDecisionsIn() throws Exception {
        // 'db delete --recipient ^p': the 30,000 pending triplets, deleted in short transactions too.
        TripletFilter pending = new TripletFilter(TripletFilter.State.ANY, null, null, java.util.regex.Pattern.compile("^p"));
        try (GreydbAdmin admin = GreylistStores.sqliteAdmin(db, Duration.ofSeconds(5)); Connection reader = raw()) {
            List<Long> seen = new ArrayList<>();
            CompletableFuture<Integer> delete = null;
            int decisions = 0;
            while (delete == null || !delete.isDone()) {
                TripletKey key = new TripletKey("192.0.2.0/24", "s@example.net", "new" + decisions + "@example.org");
                seen.add(store.update(key, row -> {
                    try {
                        return new TripletUpdate<>(new Triplet(1, NOW, NOW, null), null,
                                count(reader, "SELECT COUNT(*) FROM triplet WHERE recipient LIKE 'p%'"));
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                }));
                decisions++;
                Thread.sleep(2);
                if (delete == null) {
                    delete = CompletableFuture.supplyAsync(() -> admin.deleteTriplets(pending));
                }
            }
            assertEquals(EXPIRED_PENDING, delete.get(60, TimeUnit.SECONDS));
            assertTrue(seen.stream().anyMatch(left -> left > 0 && left < EXPIRED_PENDING),
                    "a decision got in between two of the delete's transactions: " + seen);
            assertEquals(EXPIRED_PASSED + LIVE + decisions, count(reader, "SELECT COUNT(*) FROM triplet"));
        }
    }

    @Test
    void aRowInUseAgainStays() throws Exception {
        // A triplet of the expired range that passed again is judged by its new times and stays.
        TripletKey renewed = new TripletKey("203.0.7.0/24", "s@example.net", "d7@example.org");
        store.update(renewed, row -> new TripletUpdate<>(new Triplet(1, NOW.minusSeconds(900), NOW, NOW), null, null));
        assertEquals(EXPIRED - 1, store.purgeExpired(NOW, RETRY_WINDOW, LIFETIME));
        try (Connection reader = raw()) {
            assertEquals(1, count(reader, "SELECT COUNT(*) FROM triplet WHERE recipient = 'd7@example.org'"));
        }
    }
}
