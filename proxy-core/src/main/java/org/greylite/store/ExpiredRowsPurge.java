package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Removes a greydb's expired rows in short transactions, each table walked in the order of its primary key,
 * {@link #CHUNK_ROWS} rows at a time.
 *
 * <h2>Why not one DELETE per table</h2>
 * One transaction deleting everything expired held the greydb's write lock for as long as it took to read the
 * whole table: on a greydb of 3 million triplets, 2 million of them expired, 2 to 3 s with its pages in memory
 * and 11 to 13 s from the disk. Every decision of every program waited behind it, past the busy timeout, and the mail
 * passed ungreylisted (fail open); its write-ahead log grew to the size of the greydb (270 MB), and SQLite keeps a
 * log at its largest size until the last connection closes. Now each transaction deletes within a stretch of
 * {@link #CHUNK_ROWS} rows: a few milliseconds of the lock, and a log SQLite checkpoints as it goes.
 *
 * <h2>Why the walk follows the primary key</h2>
 * The expiry columns have no index: one would cost every decision, which writes them, an index update, to spare
 * a purge every ten minutes. A stretch of the primary key is read in one index range whatever the table's size,
 * so the walk reads each row once, where repeating "the first N expired rows" without an index would read the
 * rows kept again at every batch. Each stretch is read first, without the write lock (WAL: readers do not stop
 * writers), and the lock is taken only where there is something to delete; the DELETE judges each row again, so
 * a row used since it was read stays.
 *
 * <h2>Why it pauses</h2>
 * After each delete the purge waits as long as it held the lock ({@link LockTurns}), so that the decisions waiting
 * for the lock take it in between.
 */
final class ExpiredRowsPurge {

    /** Rows looked at per transaction: a stretch of 1,000, 650 of them expired, took 1 ms to delete here. */
    static final int CHUNK_ROWS = 1000;

    private final GreydbDialect dialect;
    private final GreydbSql sql;

    ExpiredRowsPurge(GreydbDialect dialect, GreydbSql sql) {
        this.dialect = dialect;
        this.sql = sql;
    }

    /**
     * Deletes what has expired at {@code now} ({@link ExpiringTable#all}); returns how many rows. Interrupted, it
     * stops after the transaction under way (the thread stays interrupted) and returns what it removed so far.
     *
     * @throws StoreException when a transaction fails; the ones before it stay committed
     */
    int run(Instant now, Duration retryWindow, Duration lifetime) {
        int removed = 0;
        for (ExpiringTable table : ExpiringTable.all(now, retryWindow, lifetime)) {
            removed += purge(table);
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
        }
        return removed;
    }

    private int purge(ExpiringTable table) {
        int removed = 0;
        List<String> after = null;
        while (true) {
            List<String> from = after;
            GreydbSql.PurgeChunk chunk = dialect.transaction(() -> "cannot read the " + table.name() + " table to purge it",
                    deadline(), false, conn -> sql.expiredChunk(conn, table, from, CHUNK_ROWS));
            if (chunk.expired()) {
                long start = System.nanoTime();
                removed += dialect.transaction(() -> "cannot purge expired rows of the " + table.name() + " table",
                        deadline(), true, conn -> sql.deleteExpired(conn, table, from, chunk.end()));
                if (!LockTurns.giveWay(System.nanoTime() - start)) {
                    return removed;
                }
            }
            if (chunk.end() == null) {
                return removed;
            }
            after = chunk.end();
        }
    }

    private long deadline() {
        return System.nanoTime() + dialect.timeoutNanos();
    }
}
