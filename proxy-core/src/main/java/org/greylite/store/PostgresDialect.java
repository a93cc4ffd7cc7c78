package org.greylite.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The greydb in PostgreSQL (schema: {@code greydb-postgresql.sql}), shared by several MX hosts: a sender
 * greylisted at one host and retrying at another is recognised. Thread-safe: each transaction borrows a
 * connection from the pool ({@link PostgresGreydb}).
 *
 * <h2>Why an advisory lock per triplet</h2>
 * A decision reads the triplet's row, lets the engine decide, and writes the result; two hosts doing this
 * at once for the same triplet must not both read "2 refusals" and both write 3. The row may not exist
 * yet, so {@code SELECT ... FOR UPDATE} has nothing to lock on a first attempt, and creating a
 * placeholder row first would write even when the engine decides to write nothing. SERIALIZABLE works
 * but makes the losers of every race fail with a serialization error and retry, which under a burst on
 * one triplet (a mailing list, a retry storm from several hosts) means many retries and unbounded waits.
 *
 * <p>Instead each decision takes a transaction-scoped advisory lock on a 64-bit hash of the key
 * ({@code pg_advisory_xact_lock}) before reading: decisions on one triplet queue up, those on other
 * triplets do not wait for each other, absent rows are covered, and the lock goes with the transaction
 * (commit, rollback, or a lost session: no lock outlives its host). The lock is taken by a statement of
 * its own, before the SELECT: in READ COMMITTED each statement sees what was committed when it
 * began, so the SELECT, starting after the lock was granted, sees the previous holder's write (its
 * commit is visible before its locks are released). The hash is computed here (SHA-256 of the key), so
 * it does not depend on PostgreSQL's internal {@code hashtext}, and 64 bits make an unrelated triplet
 * sharing the lock practically impossible (it would only wait, never decide wrongly).
 *
 * <p>A connection found broken before the commit (the server restarted since it was pooled) is replaced and the
 * transaction run again, as many times as the pool holds connections; one that leads to a server refusing writes (a
 * failover since it was pooled) is replaced, with all the others, and the transaction run once more. So the work may
 * run more than once; the engine's part of it is pure, and only the last run's writes are committed.
 *
 * <p>The scheduled purge deletes without the lock: it only removes rows the engine treats as absent
 * anyway. The administrators' deletions take the lock of each triplet they delete.
 */
final class PostgresDialect implements GreydbDialect {

    static final String LOCK = "SELECT pg_advisory_xact_lock(?)";

    private final PostgresGreydb db;
    private final long timeoutNanos;
    private final int connections;

    PostgresDialect(PostgresGreydb db, GreydbOptions options) {
        this.db = db;
        this.timeoutNanos = options.timeout().toNanos();
        this.connections = options.connections();
    }

    @Override
    public <T> T transaction(Supplier<String> what, long deadlineNanos, boolean writes, SqlWork<T> work) {
        if (deadlineNanos - System.nanoTime() <= 0) {
            // Queued behind the other decisions for longer than a wait may last: answered now, as the
            // SQLite greydb does, rather than holding a connection for a reply that is overdue.
            throw new StoreException(describe() + ": " + what.get() + ": no time left within the busy timeout of "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (all connections busy)");
        }
        boolean newConnectionsTried = false;
        for (int attempt = 1; ; attempt++) {
            boolean committing = false;
            try (Connection conn = db.connection()) {
                try {
                    T result = work.run(conn);
                    committing = true;
                    conn.commit();
                    db.reachable();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    try {
                        conn.rollback();
                    } catch (SQLException ignored) {
                        // the connection is broken; the pool discards it
                    }
                    throw e;
                }
            } catch (SQLException e) {
                // A pooled connection the server has since closed (it restarted, or its sessions were
                // terminated) fails at once, before anything was written, and leaves the pool: another try, on
                // the next one. After a restart every pooled connection may be such, and the pool only checks
                // one that has been idle for a while, so as many tries as it holds connections, and one for a
                // new connection. Not when the commit itself failed: it may have gone through, and the decision
                // must not count twice.
                if (attempt <= connections && !committing && PostgresFailures.brokenConnection(e)) {
                    continue;
                }
                // A write refused as read-only fails before anything is written, as a cut connection does: the
                // pooled connections lead to a server that is no longer the primary (a failover), and a new
                // connection may reach the one that is. Once: if the new one is read-only too, so is the server.
                if (!newConnectionsTried && !committing && db.dropReadOnlyConnections(e)) {
                    newConnectionsTried = true;
                    continue;
                }
                throw db.failure(what.get(), e);
            }
        }
    }

    /** Takes the triplet's advisory lock until the end of the transaction (waiting at most lock_timeout). */
    @Override
    public void lockTriplet(Connection conn, TripletKey key) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(LOCK)) {
            st.setLong(1, lockId(key));
            st.execute();
        }
    }

    @Override
    public boolean locksTriplets() {
        return true;
    }

    /** The first 64 bits of SHA-256(client NUL sender NUL recipient). */
    static long lockId(TripletKey key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((key.client() + '\0' + key.sender() + '\0' + key.recipient())
                    .getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, 8).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    @Override
    public Clock sharedClock(Clock hostClock) {
        return db.sharedClock(hostClock);
    }

    @Override
    public String greatest() {
        return "GREATEST";
    }

    @Override
    public long timeoutNanos() {
        return timeoutNanos;
    }

    @Override
    public int parallelism() {
        return connections;
    }

    @Override
    public String describe() {
        return db.describe();
    }

    @Override
    public void onAnswersAgain(Runnable listener) {
        db.onAnswersAgain(listener);
    }

    @Override
    public void close() {
        db.close();
    }
}
