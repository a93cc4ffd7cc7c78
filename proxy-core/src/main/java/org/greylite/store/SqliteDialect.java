package org.greylite.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The greydb in an SQLite file (schema: {@code greydb.sql}), created on first use.
 *
 * <p>WAL journal so readers never wait for the writer; {@code synchronous=NORMAL}, which in WAL mode
 * keeps every committed transaction across a crash or {@code kill -9} of the process (only a power
 * loss may take the last ones back); a busy timeout so that the many processes of a tcpserver site can
 * share the file; {@code BEGIN IMMEDIATE} so a decision takes the write lock before it reads, and two
 * processes never decide on the same row at once (so no lock per triplet is needed).
 *
 * <h2>Why the busy timeout is what is left of a deadline</h2>
 * One connection serves one transaction at a time, so while another process holds the lock the decisions
 * queue behind the first one. With a fixed busy timeout each would wait its whole timeout in turn: ten
 * RCPTs queued behind a lock held for half a minute were answered after 5, 10, 15... seconds. Instead a
 * transaction carries a deadline set when its decision was asked; SQLite waits only for what is left of it,
 * and one started past it fails at once. Every RCPT is then answered within about the busy timeout.
 *
 * <p>One connection, used by one thread at a time (the methods are synchronized).
 */
final class SqliteDialect implements GreydbDialect {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteDialect.class);
    /** A busy timeout this close to the one set already is left as it is (a statement spared). */
    private static final long SLACK_MILLIS = 50;

    private final Path file;
    private final Connection conn;
    private final Statement control;
    private final long timeoutNanos;
    private long busyTimeoutMillis;

    private SqliteDialect(Path file, Connection conn, Duration busyTimeout) throws SQLException {
        this.file = file;
        this.conn = conn;
        this.control = conn.createStatement();
        this.timeoutNanos = busyTimeout.toNanos();
        this.busyTimeoutMillis = busyTimeout.toMillis();
    }

    /**
     * Opens (and if new, creates) the greydb at {@code file}.
     *
     * @throws StoreException naming the path and the permission at fault
     */
    static SqliteDialect open(Path file, Duration busyTimeout) {
        Connection conn = SqliteGreydb.open(file, busyTimeout);
        try {
            return new SqliteDialect(file.toAbsolutePath(), conn, busyTimeout);
        } catch (SQLException e) {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // already failing
            }
            throw new StoreException("greydb " + file.toAbsolutePath() + " cannot be prepared: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized <T> T transaction(String what, long deadlineNanos, boolean writes, SqlWork<T> work) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (left <= 0) {
            throw new StoreException(describe() + ": " + what + ": no time left within the busy timeout of "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (queued behind a greydb lock)");
        }
        try {
            waitAtMost(left);
            control.execute(writes ? "BEGIN IMMEDIATE" : "BEGIN");
        } catch (SQLException e) {
            throw failure("cannot start a transaction", e);
        }
        try {
            T result = work.run(conn);
            control.execute("COMMIT");
            return result;
        } catch (SQLException e) {
            rollback();
            throw failure(what, e);
        } catch (RuntimeException e) {
            rollback();
            throw e;
        }
    }

    private void waitAtMost(long millis) throws SQLException {
        if (Math.abs(millis - busyTimeoutMillis) > SLACK_MILLIS) {
            control.execute("PRAGMA busy_timeout = " + millis);
            busyTimeoutMillis = millis;
        }
    }

    private void rollback() {
        try {
            control.execute("ROLLBACK");
        } catch (SQLException ignored) {
            // no transaction was open (BEGIN failed): nothing to undo
        }
    }

    private StoreException failure(String what, SQLException e) {
        return new StoreException(describe() + ": " + what + ": " + e.getMessage(), e);
    }

    @Override
    public void lockTriplet(Connection c, TripletKey key) {
        // BEGIN IMMEDIATE holds the file's write lock already: nothing finer to take.
    }

    @Override
    public String greatest() {
        return "MAX";
    }

    @Override
    public long timeoutNanos() {
        return timeoutNanos;
    }

    @Override
    public int parallelism() {
        return 1;
    }

    @Override
    public String describe() {
        return "sqlite:" + file;
    }

    @Override
    public synchronized void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            LOG.warn("{}: close failed: {}", describe(), e.getMessage());
        }
    }
}
