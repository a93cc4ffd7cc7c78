package org.greylite.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The greydb in PostgreSQL (schema: {@code greydb-postgresql.sql}), shared by several MX hosts: a sender
 * greylisted at one host and retrying at another is recognised. The same decisions as
 * {@link SqliteGreylistStore}; thread-safe, each call borrows a connection from the pool.
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
 * <p>A connection found broken before the commit (the server restarted since it was pooled) is replaced
 * and the transaction run again, so the engine's decision function may be called twice; it is pure,
 * and only the second call's result is written.
 *
 * <p>The scheduled purge deletes without the lock: it only removes rows the engine treats as absent
 * anyway. {@link PostgresGreydbAdmin}'s deletions take the lock of each triplet they delete.
 */
public final class PostgresGreylistStore implements GreylistStore {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresGreylistStore.class);

    static final String LOCK = "SELECT pg_advisory_xact_lock(?)";
    private static final String SELECT_TRIPLET =
            "SELECT refusals, first_seen, last_seen, passed_at FROM triplet WHERE client = ? AND sender = ? AND recipient = ?";
    private static final String UPSERT_TRIPLET =
            "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen, passed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (client, sender, recipient) DO UPDATE SET refusals = excluded.refusals,"
                    + " first_seen = excluded.first_seen, last_seen = excluded.last_seen, passed_at = excluded.passed_at";
    private static final String UPSERT_AUTO_WHITELIST =
            "INSERT INTO whitelist (client, source, created, last_seen) VALUES (?, 'auto', ?, ?)"
                    + " ON CONFLICT (client) DO UPDATE SET last_seen = GREATEST(whitelist.last_seen, excluded.last_seen)";
    private static final String UPSERT_BEHAVIOUR =
            "INSERT INTO client_behaviour (client, behaviour, last_seen) VALUES (?, ?, ?)"
                    + " ON CONFLICT (client, behaviour) DO UPDATE"
                    + " SET last_seen = GREATEST(client_behaviour.last_seen, excluded.last_seen)";

    private final PostgresGreydb db;
    private final boolean ownsPool;

    PostgresGreylistStore(PostgresGreydb db, boolean ownsPool) {
        this.db = db;
        this.ownsPool = ownsPool;
    }

    /**
     * Opens the greydb, creating its tables when missing. A server that cannot be reached now is logged,
     * not fatal: operations fail with {@link StoreException} until it answers, then work again.
     *
     * @throws StoreException when the server refuses the connection (password, database, privileges)
     */
    public static PostgresGreylistStore open(GreydbLocation.Postgres location, GreydbOptions options) {
        return new PostgresGreylistStore(PostgresGreydb.open(location, options, false), true);
    }

    @Override
    public <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision) {
        return transaction("cannot record the decision for " + key, conn -> {
            lock(conn, key);
            Optional<Triplet> current = read(conn, key);
            TripletUpdate<T> update = decision.apply(current);
            Triplet w = update.write();
            if (w != null) {
                try (PreparedStatement st = conn.prepareStatement(UPSERT_TRIPLET)) {
                    GreydbRows.bind(st, key);
                    st.setInt(4, w.refusals());
                    st.setLong(5, w.firstSeen().getEpochSecond());
                    st.setLong(6, w.lastSeen().getEpochSecond());
                    if (w.passedAt() == null) {
                        st.setNull(7, Types.BIGINT);
                    } else {
                        st.setLong(7, w.passedAt().getEpochSecond());
                    }
                    st.executeUpdate();
                }
            }
            if (update.whitelistAt() != null) {
                long now = update.whitelistAt().getEpochSecond();
                try (PreparedStatement st = conn.prepareStatement(UPSERT_AUTO_WHITELIST)) {
                    st.setString(1, key.client());
                    st.setLong(2, now);
                    st.setLong(3, now);
                    st.executeUpdate();
                }
            }
            if (update.remember() != null) {
                try (PreparedStatement st = conn.prepareStatement(UPSERT_BEHAVIOUR)) {
                    st.setString(1, key.client());
                    st.setString(2, update.remember().behaviour());
                    st.setLong(3, update.remember().at().getEpochSecond());
                    st.executeUpdate();
                }
            }
            return update.result();
        });
    }

    /** Takes the triplet's advisory lock until the end of the transaction (waiting at most lock_timeout). */
    static void lock(Connection conn, TripletKey key) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(LOCK)) {
            st.setLong(1, lockId(key));
            st.execute();
        }
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

    private static Optional<Triplet> read(Connection conn, TripletKey key) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(SELECT_TRIPLET)) {
            GreydbRows.bind(st, key);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.of(GreydbRows.triplet(rs, 1)) : Optional.empty();
            }
        }
    }

    @Override
    public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
        long nowS = now.getEpochSecond();
        return transaction("cannot read the whitelist", conn -> {
            String source;
            long lastSeen;
            long expires;
            boolean hasExpiry;
            try (PreparedStatement st = conn.prepareStatement(
                    "SELECT source, last_seen, expires FROM whitelist WHERE client = ?")) {
                st.setString(1, clientKey);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        return false;
                    }
                    source = rs.getString(1);
                    lastSeen = rs.getLong(2);
                    expires = rs.getLong(3);
                    hasExpiry = !rs.wasNull();
                }
            }
            if (hasExpiry && expires <= nowS) {
                return false;
            }
            if (!"auto".equals(source)) {
                return true;
            }
            if (lastSeen + lifetime.getSeconds() <= nowS) {
                return false;
            }
            if (nowS - lastSeen >= renewAfter.getSeconds()) {
                try (PreparedStatement st = conn.prepareStatement(
                        "UPDATE whitelist SET last_seen = ? WHERE client = ? AND last_seen < ?")) {
                    st.setLong(1, nowS);
                    st.setString(2, clientKey);
                    st.setLong(3, nowS);
                    st.executeUpdate();
                } catch (SQLException e) {
                    // The entry is valid; failing to extend it only shortens its life. Say so, accept the mail.
                    LOG.warn("{}: cannot renew the whitelist entry of {}: {}", describe(), clientKey, e.getMessage());
                    conn.rollback();
                }
            }
            return true;
        });
    }

    @Override
    public List<ListEntry> adminEntries() {
        return transaction("cannot read the admin white- and blacklists", conn -> {
            List<ListEntry> out = new ArrayList<>();
            try (PreparedStatement st = conn.prepareStatement(
                    "SELECT client, 0, created, expires, comment FROM whitelist WHERE source = 'admin'"
                            + " UNION ALL SELECT client, 1, created, expires, comment FROM blacklist");
                 ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(GreydbRows.listEntry(rs));
                }
            }
            return out;
        });
    }

    @Override
    public Map<String, Instant> rememberedBehaviours(String clientKey) {
        return transaction("cannot read remembered behaviours", conn -> {
            Map<String, Instant> out = new HashMap<>();
            try (PreparedStatement st = conn.prepareStatement(
                    "SELECT behaviour, last_seen FROM client_behaviour WHERE client = ?")) {
                st.setString(1, clientKey);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), Instant.ofEpochSecond(rs.getLong(2)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        long nowS = now.getEpochSecond();
        long pendingBefore = nowS - retryWindow.getSeconds();
        long usedBefore = nowS - lifetime.getSeconds();
        return transaction("cannot purge expired rows", conn -> {
            int n = delete(conn, "DELETE FROM triplet WHERE passed_at IS NULL AND first_seen <= ?", pendingBefore);
            n += delete(conn, "DELETE FROM triplet WHERE passed_at IS NOT NULL AND last_seen <= ?", usedBefore);
            n += delete(conn, "DELETE FROM whitelist WHERE (source = 'auto' AND last_seen <= ?) OR (expires IS NOT NULL AND expires <= ?)",
                    usedBefore, nowS);
            n += delete(conn, "DELETE FROM blacklist WHERE expires IS NOT NULL AND expires <= ?", nowS);
            n += delete(conn, "DELETE FROM client_behaviour WHERE last_seen <= ?", pendingBefore);
            return n;
        });
    }

    private static int delete(Connection conn, String sql, long... args) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                st.setLong(i + 1, args[i]);
            }
            return st.executeUpdate();
        }
    }

    /** Work done in one transaction on one connection. */
    interface SqlWork<T> {
        T run(Connection conn) throws SQLException;
    }

    /** Runs {@code work} in one transaction, committed before returning; any failure rolls it back. */
    <T> T transaction(String what, SqlWork<T> work) {
        return transaction(db, what, work);
    }

    static <T> T transaction(PostgresGreydb db, String what, SqlWork<T> work) {
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
                // A pooled connection the server has since closed (it restarted) fails at once, before
                // anything was written: one more try, on a fresh connection. Not when the commit itself
                // failed: it may have gone through, and the decision must not count twice.
                if (attempt == 1 && !committing && PostgresGreydb.brokenConnection(e)) {
                    continue;
                }
                throw db.failure(what, e);
            }
        }
    }

    @Override
    public String describe() {
        return db.describe();
    }

    @Override
    public void close() {
        if (ownsPool) {
            db.close();
        }
    }
}
