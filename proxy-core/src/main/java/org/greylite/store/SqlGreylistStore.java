package org.greylite.store;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The greydb of the engine, the same for SQLite and PostgreSQL: the statements are {@link GreydbSql}'s,
 * the transactions and the locking the {@link GreydbDialect}'s.
 */
final class SqlGreylistStore implements GreylistStore {

    /** How long {@link #claimPurge} waits for the write lock: the round is someone else's if it is taken. */
    private static final long CLAIM_WAIT_NANOS = 250_000_000L;

    private final GreydbDialect dialect;
    private final GreydbSql sql;

    SqlGreylistStore(GreydbDialect dialect) {
        this.dialect = dialect;
        this.sql = new GreydbSql(dialect);
    }

    @Override
    public <T> T decide(DecisionQuery q, Function<StoredState, TripletUpdate<T>> transition) {
        TripletKey key = q.triplet();
        long deadline = q.askedNanos() + dialect.timeoutNanos();
        return dialect.transaction(() -> "cannot record the decision for " + key, deadline, true, conn -> {
            GreydbSql.ClientRows rows;
            if (dialect.locksTriplets()) {
                if (sql.whitelisted(conn, key.client(), q.now(), q.lifetime(), q.renewAfter())) {
                    return transition.apply(StoredState.WHITELISTED).result();
                }
                dialect.lockTriplet(conn, key);
                rows = new GreydbSql.ClientRows(null, sql.triplet(conn, key), true); // triplets not asked: counted
            } else {
                rows = sql.whitelistAndTriplet(conn, key);
                if (sql.whitelisted(conn, key.client(), rows.whitelist(), q.now(), q.lifetime(), q.renewAfter())) {
                    return transition.apply(StoredState.WHITELISTED).result();
                }
            }
            // A client key without triplets has none pending and none passed: its counts need no query.
            StoredState state = new StoredState(false, () -> behaviours(conn, key.client()), rows.triplet(),
                    (after, limit) -> rows.clientHasTriplets() ? pending(conn, key.client(), after, limit) : 0,
                    (after, limit) -> rows.clientHasTriplets() ? passed(conn, key.client(), after, limit) : 0);
            TripletUpdate<T> update = transition.apply(state);
            sql.apply(conn, key, update, q.lifetime());
            return update.result();
        });
    }

    @Override
    public <T> T inOneTransaction(long askedNanos, Supplier<T> work) {
        return dialect.batch("cannot record the decisions", askedNanos + dialect.timeoutNanos(), work);
    }

    @Override
    public boolean commitsBatchTogether() {
        return dialect.joinsBatches();
    }

    /** The remembered behaviours the transition may ask for ({@link StoredState.RememberedBehaviours}). */
    private Map<String, Instant> behaviours(java.sql.Connection conn, String client) {
        try {
            return sql.behaviours(conn, client);
        } catch (SQLException e) {
            throw new StoreException(dialect.describe() + ": cannot read the remembered behaviours of " + client + ": "
                    + e.getMessage(), e);
        }
    }

    /** The count the transition may ask for inside the decision's transaction ({@link StoredState.PendingCount}). */
    private int pending(java.sql.Connection conn, String client, Instant after, int limit) {
        try {
            return sql.pendingTriplets(conn, client, after, limit);
        } catch (SQLException e) {
            throw new StoreException(dialect.describe() + ": cannot count the pending triplets of " + client + ": "
                    + e.getMessage(), e);
        }
    }

    /** The count of passed triplets the transition may ask for ({@link StoredState.PassedCount}). */
    private int passed(java.sql.Connection conn, String client, Instant after, int limit) {
        try {
            return sql.passedTriplets(conn, client, after, limit);
        } catch (SQLException e) {
            throw new StoreException(dialect.describe() + ": cannot count the passed triplets of " + client + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision) {
        return dialect.transaction(() -> "cannot record the decision for " + key, fromNow(), true, conn -> {
            dialect.lockTriplet(conn, key);
            TripletUpdate<T> update = decision.apply(sql.triplet(conn, key));
            sql.apply(conn, key, update, null);
            return update.result();
        });
    }

    @Override
    public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
        return dialect.transaction("cannot read the whitelist", fromNow(), true,
                conn -> sql.whitelisted(conn, clientKey, now, lifetime, renewAfter));
    }

    @Override
    public List<ListEntry> adminEntries() {
        return dialect.transaction("cannot read the admin white- and blacklists", fromNow(), false, sql::adminEntries);
    }

    @Override
    public Map<String, Instant> rememberedBehaviours(String clientKey) {
        return dialect.transaction("cannot read remembered behaviours", fromNow(), false,
                conn -> sql.behaviours(conn, clientKey));
    }

    @Override
    public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        return new ExpiredRowsPurge(dialect, sql).run(now, retryWindow, lifetime);
    }

    @Override
    public boolean claimPurge(Instant now, Duration interval) {
        long deadline = System.nanoTime() + Math.min(CLAIM_WAIT_NANOS, dialect.timeoutNanos());
        try {
            Instant last = dialect.transaction("cannot read the last purge", deadline, false, sql::lastPurge);
            if (last != null && last.isAfter(now.minus(interval)) && !last.isAfter(now.plus(interval))) {
                return false;
            }
            return dialect.transaction("cannot claim the purge", deadline, true, conn -> sql.claimPurge(conn, now, interval));
        } catch (StoreException e) {
            // Another process holds the greydb, or did until the moment the claim may wait ran out (the read can take
            // it all on a busy host, fifty sessions ending at once): the round is a later process's, not a failure.
            if (e.getCause() instanceof SQLException s && s.getMessage() != null && s.getMessage().contains("SQLITE_BUSY")
                    || System.nanoTime() - deadline >= 0) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void recordLifetimes(GreydbLifetimes lifetimes) {
        GreydbLifetimes recorded = dialect.transaction("cannot read the recorded lifetimes", fromNow(), false, sql::lifetimes);
        if (!recorded.equals(lifetimes)) {
            dialect.transaction("cannot record the lifetimes", fromNow(), true, conn -> sql.recordLifetimes(conn, lifetimes));
        }
    }

    private long fromNow() {
        return System.nanoTime() + dialect.timeoutNanos();
    }

    @Override
    public String reopenIfReplaced() {
        return dialect.reopenIfReplaced();
    }

    @Override
    public Clock sharedClock(Clock hostClock) {
        return dialect.sharedClock(hostClock);
    }

    @Override
    public int parallelism() {
        return dialect.parallelism();
    }

    @Override
    public String describe() {
        return dialect.describe();
    }

    @Override
    public void onAnswersAgain(Runnable listener) {
        dialect.onAnswersAgain(listener);
    }

    @Override
    public void close() {
        dialect.close();
    }
}
