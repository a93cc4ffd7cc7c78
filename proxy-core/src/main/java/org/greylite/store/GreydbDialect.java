package org.greylite.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * What differs between the SQLite and the PostgreSQL greydb, and nothing else: how a transaction is run
 * (on one connection or a pool, with which lock), how one triplet is locked against a concurrent decision,
 * and the name of the larger-of-two function in an upsert. The SQL itself is written once, in
 * {@link GreydbSql}.
 */
interface GreydbDialect extends AutoCloseable {

    /** Work done in one transaction on one connection. */
    interface SqlWork<T> {
        T run(Connection conn) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction, committed before returning; any failure rolls it back.
     *
     * @param what          for the error message ("cannot record the decision for ..."), made only when it is
     *                      needed: a decision's names its triplet, and making it for every decision that succeeds
     *                      was a measurable part of the decision's time
     * @param deadlineNanos {@link System#nanoTime()} after which waiting for a lock or a connection is given
     *                      up: past it, SQLite still tries its lock once without waiting, and PostgreSQL
     *                      (whose waits are for the pool's connections, a queue behind a slow server) fails at once
     * @param writes        true when the work writes: SQLite then takes the write lock before reading
     * @throws StoreException naming the greydb and the cause
     */
    <T> T transaction(Supplier<String> what, long deadlineNanos, boolean writes, SqlWork<T> work);

    /** {@link #transaction(Supplier, long, boolean, SqlWork)} with a fixed description. */
    default <T> T transaction(String what, long deadlineNanos, boolean writes, SqlWork<T> work) {
        return transaction(() -> what, deadlineNanos, writes, work);
    }

    /**
     * Runs {@code work}, whose transactions ({@link #transaction}) all join one where the dialect can: the
     * writes of all are committed together when it returns, none of them if it throws. A dialect that cannot
     * (the default) runs each transaction on its own, committed as it ends.
     *
     * @param deadlineNanos as for {@link #transaction}: the shared transaction's wait for the lock ends there
     * @throws StoreException when the shared transaction cannot start or commit
     */
    default <T> T batch(String what, long deadlineNanos, Supplier<T> work) {
        return work.get();
    }

    /** Whether {@link #batch} joins its transactions in one (else each commits as it ends). */
    default boolean joinsBatches() {
        return false;
    }

    /**
     * A prepared statement of the decision path, for {@code try (Prepared p = dialect.prepare(conn, sql))}.
     * By default prepared anew and closed after use; a dialect whose one connection lives long keeps it
     * prepared (SQLite: preparing costs more than running these statements).
     */
    default Prepared prepare(Connection conn, String sql) throws SQLException {
        PreparedStatement st = conn.prepareStatement(sql);
        return new Prepared() {
            @Override
            public PreparedStatement statement() {
                return st;
            }

            @Override
            public void close() throws SQLException {
                st.close();
            }
        };
    }

    /** A statement lent by {@link #prepare}: closing it gives it back (closes it, or keeps it prepared). */
    interface Prepared extends AutoCloseable {
        PreparedStatement statement();

        @Override
        void close() throws SQLException;
    }

    /**
     * Checks that the database this dialect has open is still the one its location names, and if not, opens what
     * is there now (see {@link GreylistStore#reopenIfReplaced}); a server database is always the one named.
     */
    default String reopenIfReplaced() {
        return null;
    }

    /**
     * The clock of the times in this database, from the host's: the host's own for a file one host uses, the
     * server's for a database several hosts share ({@link GreylistStore#sharedClock}).
     */
    default Clock sharedClock(Clock hostClock) {
        return hostClock;
    }

    /**
     * Asks the database to check every page of the greydb: what it finds wrong, at most {@code limit} lines, and what
     * to do about it; no lines when the greydb is whole. Null when the database keeps its pages' integrity
     * itself and offers a client no such check (PostgreSQL: its data checksums, and its amcheck extension for a
     * superuser).
     */
    default GreydbAdmin.PageCheck checkPages(int limit) {
        return null;
    }

    /** Makes concurrent decisions on {@code key} take turns until the end of the transaction. */
    void lockTriplet(Connection conn, TripletKey key) throws SQLException;

    /**
     * Whether {@link #lockTriplet} takes a lock of its own, so that the triplet must be read after it: when it
     * does not (SQLite's transaction holds the whole file from its start), the whitelist row and the triplet are
     * read in one statement.
     */
    boolean locksTriplets();

    /** The SQL function of the larger of two values ({@code MAX} in SQLite, {@code GREATEST} in PostgreSQL). */
    String greatest();

    /** How long a transaction may wait for a lock or a connection. */
    long timeoutNanos();

    /** How many transactions may usefully run at once (SQLite: one writer at a time). */
    int parallelism();

    String describe();

    /** See {@link GreylistStore#onAnswersAgain}. */
    default void onAnswersAgain(Runnable listener) {
    }

    @Override
    void close();
}
