package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <h2>Times ahead of the clock</h2>
 * The walk also brings back to now the times more than {@link ExpiringTable#AHEAD_TOLERANCE} ahead of the clock (see
 * there why), in the same short transactions: an UPDATE of its own over a whole table would hold the lock as long as
 * the DELETE did. The engine already takes such a time as now when an attempt comes back to the row
 * (RecordedTimes); this is for the rows none comes back to. An administrator's end dates ({@code expires}) are meant
 * to be ahead and are left alone.
 *
 * <h2>A clock set ahead</h2>
 * Expiry is judged by the clock unless the greydb looks as a clock set far ahead leaves it ({@link PurgeClock}): a
 * clock years ahead made every row look expired, and a purge by it deleted the whole greydb.
 *
 * <h2>Why it pauses</h2>
 * After each delete the purge waits as long as it held the lock ({@link LockTurns}), so that the decisions waiting
 * for the lock take it in between.
 */
final class ExpiredRowsPurge {

    private static final Logger LOG = LoggerFactory.getLogger(ExpiredRowsPurge.class);

    /** Rows looked at per transaction: a stretch of 1,000, 650 of them expired, took 1 ms to delete here. */
    static final int CHUNK_ROWS = 1000;

    private final GreydbDialect dialect;
    private final GreydbSql sql;

    ExpiredRowsPurge(GreydbDialect dialect, GreydbSql sql) {
        this.dialect = dialect;
        this.sql = sql;
    }

    /**
     * Deletes what has expired at {@code now} ({@link ExpiringTable#all}), or at the earlier present {@link PurgeClock}
     * takes when the clock may be set ahead; returns how many rows. Interrupted, it
     * stops after the transaction under way (the thread stays interrupted) and returns what it removed so far.
     *
     * @throws StoreException when a transaction fails; the ones before it stay committed
     */
    int run(Instant now, Duration retryWindow, Duration lifetime) {
        int removed = 0;
        Instant judgedAt = PurgeClock.judgedAt(dialect, sql, now, retryWindow, lifetime);
        for (ExpiringTable table : ExpiringTable.all(now, judgedAt, retryWindow, lifetime)) {
            removed += purge(table);
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
        }
        return removed;
    }

    private int purge(ExpiringTable table) {
        int removed = 0;
        int broughtBack = 0;
        List<String> after = null;
        while (true) {
            List<String> from = after;
            GreydbSql.PurgeChunk chunk = dialect.transaction(() -> "cannot read the " + table.name() + " table to purge it",
                    deadline(), false, conn -> sql.expiredChunk(conn, table, from, CHUNK_ROWS));
            if (chunk.expired() || chunk.ahead()) {
                long start = System.nanoTime();
                int[] changed = new int[2]; // rows brought back, rows deleted
                dialect.transaction(() -> "cannot purge expired rows of the " + table.name() + " table",
                        deadline(), true, conn -> {
                            changed[0] = chunk.ahead() ? sql.bringBackTimesAhead(conn, table, from, chunk.end()) : 0;
                            changed[1] = chunk.expired() ? sql.deleteExpired(conn, table, from, chunk.end()) : 0;
                            return null;
                        });
                broughtBack += changed[0];
                removed += changed[1];
                if (!LockTurns.giveWay(System.nanoTime() - start)) {
                    break;
                }
            }
            if (chunk.end() == null) {
                break;
            }
            after = chunk.end();
        }
        if (broughtBack > 0) {
            LOG.warn("greydb: {} {} row(s) held a time more than {} h later than the clock (the clock stepped back, or"
                    + " another host sharing the greydb runs ahead); their times are now the present, from which their"
                    + " lifetimes run", broughtBack, table.name(), ExpiringTable.AHEAD_TOLERANCE.toHours());
        }
        return removed;
    }

    private long deadline() {
        return System.nanoTime() + dialect.timeoutNanos();
    }
}
