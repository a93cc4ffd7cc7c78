package org.greylite.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
 * The greydb in an SQLite file (schema: {@code greydb.sql}), created on first use.
 *
 * <p>WAL journal so readers never wait for the writer; {@code synchronous=NORMAL}, which in WAL mode
 * keeps every committed transaction across a crash or {@code kill -9} of the process (only a power
 * loss may take the last ones back); a busy timeout so that the many processes of a tcpserver site can
 * share the file; {@code BEGIN IMMEDIATE} so a decision takes the write lock before it reads, and two
 * processes never decide on the same row at once.
 *
 * <p>One connection, used by one thread at a time (the methods are synchronized).
 */
public final class SqliteGreylistStore implements GreylistStore {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteGreylistStore.class);

    private final Path file;
    private final Connection conn;
    private final Statement control;
    private final PreparedStatement selectTriplet;
    private final PreparedStatement upsertTriplet;
    private final PreparedStatement upsertAutoWhitelist;
    private final PreparedStatement selectWhitelist;
    private final PreparedStatement renewWhitelist;
    private final PreparedStatement purgePending;
    private final PreparedStatement purgePassed;
    private final PreparedStatement purgeWhitelist;
    private final PreparedStatement selectAdminEntries;
    private final PreparedStatement purgeBlacklist;
    private final PreparedStatement selectBehaviours;
    private final PreparedStatement upsertBehaviour;
    private final PreparedStatement purgeBehaviours;

    private final boolean ownsConnection;

    private SqliteGreylistStore(Path file, Connection conn) throws SQLException {
        this(file, conn, true);
    }

    /** On a connection opened elsewhere; with {@code ownsConnection} false, {@link #close()} leaves it open. */
    SqliteGreylistStore(Path file, Connection conn, boolean ownsConnection) throws SQLException {
        this.ownsConnection = ownsConnection;
        this.file = file;
        this.conn = conn;
        this.control = conn.createStatement();
        selectTriplet = conn.prepareStatement(
                "SELECT refusals, first_seen, last_seen, passed_at FROM triplet WHERE client = ? AND sender = ? AND recipient = ?");
        upsertTriplet = conn.prepareStatement(
                "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen, passed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT (client, sender, recipient) DO UPDATE SET refusals = excluded.refusals,"
                        + " first_seen = excluded.first_seen, last_seen = excluded.last_seen, passed_at = excluded.passed_at");
        upsertAutoWhitelist = conn.prepareStatement(
                "INSERT INTO whitelist (client, source, created, last_seen) VALUES (?, 'auto', ?, ?)"
                        + " ON CONFLICT (client) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)");
        selectWhitelist = conn.prepareStatement("SELECT source, last_seen, expires FROM whitelist WHERE client = ?");
        renewWhitelist = conn.prepareStatement("UPDATE whitelist SET last_seen = ? WHERE client = ? AND last_seen < ?");
        purgePending = conn.prepareStatement("DELETE FROM triplet WHERE passed_at IS NULL AND first_seen <= ?");
        purgePassed = conn.prepareStatement("DELETE FROM triplet WHERE passed_at IS NOT NULL AND last_seen <= ?");
        purgeWhitelist = conn.prepareStatement(
                "DELETE FROM whitelist WHERE (source = 'auto' AND last_seen <= ?) OR (expires IS NOT NULL AND expires <= ?)");
        selectAdminEntries = conn.prepareStatement(
                "SELECT client, 0, created, expires, comment FROM whitelist WHERE source = 'admin'"
                        + " UNION ALL SELECT client, 1, created, expires, comment FROM blacklist");
        purgeBlacklist = conn.prepareStatement("DELETE FROM blacklist WHERE expires IS NOT NULL AND expires <= ?");
        selectBehaviours = conn.prepareStatement("SELECT behaviour, last_seen FROM client_behaviour WHERE client = ?");
        upsertBehaviour = conn.prepareStatement("INSERT INTO client_behaviour (client, behaviour, last_seen) VALUES (?, ?, ?)"
                + " ON CONFLICT (client, behaviour) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)");
        purgeBehaviours = conn.prepareStatement("DELETE FROM client_behaviour WHERE last_seen <= ?");
    }

    /**
     * Opens (and if new, creates) the greydb at {@code file}.
     *
     * @throws StoreException naming the path and the permission at fault
     */
    public static SqliteGreylistStore open(Path file, Duration busyTimeout) {
        Connection conn = SqliteGreydb.open(file, busyTimeout);
        try {
            return new SqliteGreylistStore(file.toAbsolutePath(), conn);
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
    public synchronized <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision) {
        try {
            control.execute("BEGIN IMMEDIATE");
        } catch (SQLException e) {
            throw failure("cannot start a transaction", e);
        }
        try {
            Optional<Triplet> current = read(key);
            TripletUpdate<T> update = decision.apply(current);
            Triplet w = update.write();
            if (w != null) {
                GreydbRows.bind(upsertTriplet, key);
                upsertTriplet.setInt(4, w.refusals());
                upsertTriplet.setLong(5, w.firstSeen().getEpochSecond());
                upsertTriplet.setLong(6, w.lastSeen().getEpochSecond());
                if (w.passedAt() == null) {
                    upsertTriplet.setNull(7, java.sql.Types.INTEGER);
                } else {
                    upsertTriplet.setLong(7, w.passedAt().getEpochSecond());
                }
                upsertTriplet.executeUpdate();
            }
            if (update.whitelistAt() != null) {
                long now = update.whitelistAt().getEpochSecond();
                upsertAutoWhitelist.setString(1, key.client());
                upsertAutoWhitelist.setLong(2, now);
                upsertAutoWhitelist.setLong(3, now);
                upsertAutoWhitelist.executeUpdate();
            }
            if (update.remember() != null) {
                upsertBehaviour.setString(1, key.client());
                upsertBehaviour.setString(2, update.remember().behaviour());
                upsertBehaviour.setLong(3, update.remember().at().getEpochSecond());
                upsertBehaviour.executeUpdate();
            }
            control.execute("COMMIT");
            return update.result();
        } catch (SQLException e) {
            rollback();
            throw failure("cannot record the decision for " + key, e);
        } catch (RuntimeException e) {
            rollback();
            throw e;
        }
    }

    private Optional<Triplet> read(TripletKey key) throws SQLException {
        GreydbRows.bind(selectTriplet, key);
        try (ResultSet rs = selectTriplet.executeQuery()) {
            return rs.next() ? Optional.of(GreydbRows.triplet(rs, 1)) : Optional.empty();
        }
    }

    @Override
    public synchronized List<ListEntry> adminEntries() {
        try (ResultSet rs = selectAdminEntries.executeQuery()) {
            List<ListEntry> out = new ArrayList<>();
            while (rs.next()) {
                out.add(GreydbRows.listEntry(rs));
            }
            return out;
        } catch (SQLException e) {
            throw failure("cannot read the admin white- and blacklists", e);
        }
    }

    @Override
    public synchronized Map<String, Instant> rememberedBehaviours(String clientKey) {
        try {
            selectBehaviours.setString(1, clientKey);
            try (ResultSet rs = selectBehaviours.executeQuery()) {
                Map<String, Instant> out = new HashMap<>();
                while (rs.next()) {
                    out.put(rs.getString(1), Instant.ofEpochSecond(rs.getLong(2)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw failure("cannot read remembered behaviours", e);
        }
    }

    @Override
    public synchronized boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
        long nowS = now.getEpochSecond();
        String source;
        long lastSeen;
        long expires;
        boolean hasExpiry;
        try {
            selectWhitelist.setString(1, clientKey);
            try (ResultSet rs = selectWhitelist.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                source = rs.getString(1);
                lastSeen = rs.getLong(2);
                expires = rs.getLong(3);
                hasExpiry = !rs.wasNull();
            }
        } catch (SQLException e) {
            throw failure("cannot read the whitelist", e);
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
            try {
                renewWhitelist.setLong(1, nowS);
                renewWhitelist.setString(2, clientKey);
                renewWhitelist.setLong(3, nowS);
                renewWhitelist.executeUpdate();
            } catch (SQLException e) {
                // The entry is valid; failing to extend it only shortens its life. Say so, accept the mail.
                LOG.warn("{}: cannot renew the whitelist entry of {}: {}", describe(), clientKey, e.getMessage());
            }
        }
        return true;
    }

    @Override
    public synchronized int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        long nowS = now.getEpochSecond();
        try {
            control.execute("BEGIN IMMEDIATE");
            purgePending.setLong(1, nowS - retryWindow.getSeconds());
            int n = purgePending.executeUpdate();
            purgePassed.setLong(1, nowS - lifetime.getSeconds());
            n += purgePassed.executeUpdate();
            purgeWhitelist.setLong(1, nowS - lifetime.getSeconds());
            purgeWhitelist.setLong(2, nowS);
            n += purgeWhitelist.executeUpdate();
            purgeBlacklist.setLong(1, nowS);
            n += purgeBlacklist.executeUpdate();
            purgeBehaviours.setLong(1, nowS - retryWindow.getSeconds());
            n += purgeBehaviours.executeUpdate();
            control.execute("COMMIT");
            return n;
        } catch (SQLException e) {
            rollback();
            throw failure("cannot purge expired rows", e);
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
    public String describe() {
        return "sqlite:" + file;
    }

    @Override
    public synchronized void close() {
        try {
            if (!ownsConnection) {
                for (PreparedStatement p : new PreparedStatement[] {selectTriplet, upsertTriplet, upsertAutoWhitelist,
                    selectWhitelist, renewWhitelist, purgePending, purgePassed, purgeWhitelist, selectAdminEntries,
                    purgeBlacklist, selectBehaviours, upsertBehaviour, purgeBehaviours}) {
                    p.close();
                }
                control.close();
                return;
            }
            conn.close();
        } catch (SQLException e) {
            LOG.warn("{}: close failed: {}", describe(), e.getMessage());
        }
    }
}
