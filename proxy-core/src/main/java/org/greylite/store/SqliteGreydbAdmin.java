package org.greylite.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link GreydbAdmin} on an SQLite greydb. Its own connection, so it works beside a running greylited
 * (WAL lets it read while greylited writes; its writes wait for the busy timeout at most).
 */
public final class SqliteGreydbAdmin implements GreydbAdmin {

    private final Path file;
    private final Connection conn;

    private SqliteGreydbAdmin(Path file, Connection conn) {
        this.file = file;
        this.conn = conn;
    }

    public static SqliteGreydbAdmin open(Path file, Duration busyTimeout) {
        return new SqliteGreydbAdmin(file.toAbsolutePath(), SqliteGreydb.open(file, busyTimeout));
    }

    @Override
    public List<TripletRow> triplets(TripletFilter filter) {
        String sql = "SELECT client, sender, recipient, refusals, first_seen, last_seen, passed_at FROM triplet"
                + (filter.state() == TripletFilter.State.PENDING ? " WHERE passed_at IS NULL"
                : filter.state() == TripletFilter.State.PASSED ? " WHERE passed_at IS NOT NULL" : "")
                + " ORDER BY first_seen, client, sender, recipient";
        List<TripletRow> out = new ArrayList<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                TripletKey key = GreydbRows.key(rs);
                Triplet t = GreydbRows.triplet(rs, 4);
                if (filter.matches(key, t)) {
                    out.add(new TripletRow(key, t));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("cannot list triplets", e);
        }
    }

    @Override
    public int deleteTriplets(TripletFilter filter) {
        List<TripletRow> doomed = triplets(filter);
        try (PreparedStatement del = conn.prepareStatement(
                "DELETE FROM triplet WHERE client = ? AND sender = ? AND recipient = ?")) {
            return inTransaction(() -> {
                int n = 0;
                for (TripletRow r : doomed) {
                    GreydbRows.bind(del, r.key());
                    n += del.executeUpdate();
                }
                return n;
            });
        } catch (SQLException e) {
            throw failure("cannot delete triplets", e);
        }
    }

    @Override
    public List<WhitelistRow> whitelist() {
        List<WhitelistRow> out = new ArrayList<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(GreydbRows.SELECT_WHITELIST)) {
            while (rs.next()) {
                out.add(GreydbRows.whitelistRow(rs));
            }
            return out;
        } catch (SQLException e) {
            throw failure("cannot list the whitelist", e);
        }
    }

    @Override
    public List<ListEntry> blacklist() {
        List<ListEntry> out = new ArrayList<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(GreydbRows.SELECT_BLACKLIST)) {
            while (rs.next()) {
                out.add(GreydbRows.listEntry(rs));
            }
            return out;
        } catch (SQLException e) {
            throw failure("cannot list the blacklist", e);
        }
    }

    @Override
    public void putListEntry(ListEntry e) {
        String sql = e.black()
                ? "INSERT INTO blacklist (client, created, expires, comment) VALUES (?, ?, ?, ?)"
                        + " ON CONFLICT (client) DO UPDATE SET expires = excluded.expires, comment = excluded.comment"
                : "INSERT INTO whitelist (client, source, created, expires, comment, last_seen) VALUES (?, 'admin', ?, ?, ?, ?)"
                        + " ON CONFLICT (client) DO UPDATE SET source = 'admin', expires = excluded.expires,"
                        + " comment = excluded.comment";
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            st.setString(1, e.client());
            st.setLong(2, e.created().getEpochSecond());
            if (e.expires() == null) {
                st.setNull(3, Types.INTEGER);
            } else {
                st.setLong(3, e.expires().getEpochSecond());
            }
            st.setString(4, e.comment());
            if (!e.black()) {
                st.setLong(5, e.created().getEpochSecond());
            }
            st.executeUpdate();
        } catch (SQLException ex) {
            throw failure("cannot add " + e.client() + " to the " + (e.black() ? "blacklist" : "whitelist"), ex);
        }
    }

    @Override
    public boolean removeListEntry(boolean black, String client) {
        try (PreparedStatement st = conn.prepareStatement(
                "DELETE FROM " + (black ? "blacklist" : "whitelist") + " WHERE client = ?")) {
            st.setString(1, client);
            return st.executeUpdate() > 0;
        } catch (SQLException e) {
            throw failure("cannot remove " + client, e);
        }
    }

    @Override
    public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        // The same deletions greylited schedules; its store knows them.
        try (SqliteGreylistStore store = new SqliteGreylistStore(file, conn, false)) {
            return store.purgeExpired(now, retryWindow, lifetime);
        } catch (SQLException e) {
            throw failure("cannot purge", e);
        }
    }

    @Override
    public Stats stats(Instant now, Duration retryWindow, Duration lifetime) {
        long nowS = now.getEpochSecond();
        long pendingSince = nowS - retryWindow.getSeconds();
        long usedSince = nowS - lifetime.getSeconds();
        try {
            long pending = count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NULL AND first_seen > ?", pendingSince);
            long passed = count("SELECT COUNT(*) FROM triplet WHERE passed_at IS NOT NULL AND last_seen > ?", usedSince);
            long auto = count("SELECT COUNT(*) FROM whitelist WHERE source = 'auto' AND last_seen > ?", usedSince);
            long admin = count("SELECT COUNT(*) FROM whitelist WHERE source <> 'auto' AND (expires IS NULL OR expires > ?)", nowS);
            long black = count("SELECT COUNT(*) FROM blacklist WHERE expires IS NULL OR expires > ?", nowS);
            StatsTally tally = new StatsTally();
            try (PreparedStatement st = conn.prepareStatement(
                    "SELECT client, refusals, first_seen, passed_at FROM triplet WHERE (passed_at IS NULL AND first_seen > ?)"
                            + " OR (passed_at IS NOT NULL AND last_seen > ?)")) {
                st.setLong(1, pendingSince);
                st.setLong(2, usedSince);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        long passedSecond = rs.getLong(4);
                        Long passedAt = rs.wasNull() ? null : passedSecond;
                        tally.add(rs.getString(1), rs.getInt(2), rs.getLong(3), passedAt);
                    }
                }
            }
            return tally.stats(pending, passed, auto, admin, black);
        } catch (SQLException e) {
            throw failure("cannot compute statistics", e);
        }
    }

    private long count(String sql, long arg) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            st.setLong(1, arg);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    private <T> T inTransaction(SqlWork<T> work) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            try {
                T result = work.run();
                st.execute("COMMIT");
                return result;
            } catch (SQLException | RuntimeException e) {
                st.execute("ROLLBACK");
                throw e;
            }
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
    public void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            // closing: nothing left to do with it
        }
    }
}
