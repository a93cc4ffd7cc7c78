package org.greylite.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link GreydbAdmin} on a PostgreSQL greydb, beside the greylited instances using it: each change is one
 * short transaction, and deleting a triplet takes that triplet's lock (see {@link PostgresGreylistStore}),
 * so a decision in flight on another host finishes before the row goes, and the next attempt starts over.
 */
public final class PostgresGreydbAdmin implements GreydbAdmin {

    private final PostgresGreydb db;

    private PostgresGreydbAdmin(PostgresGreydb db) {
        this.db = db;
    }

    /**
     * Connects, creating the tables when missing.
     *
     * @throws StoreException when the server cannot be reached or refuses the connection
     */
    public static PostgresGreydbAdmin open(GreydbLocation.Postgres location, GreydbOptions options) {
        return new PostgresGreydbAdmin(PostgresGreydb.open(location, options, true));
    }

    private <T> T transaction(String what, PostgresGreylistStore.SqlWork<T> work) {
        return PostgresGreylistStore.transaction(db, what, work);
    }

    @Override
    public List<TripletRow> triplets(TripletFilter filter) {
        return transaction("cannot list triplets", conn -> select(conn, filter));
    }

    private static List<TripletRow> select(Connection conn, TripletFilter filter) throws SQLException {
        String sql = "SELECT client, sender, recipient, refusals, first_seen, last_seen, passed_at FROM triplet"
                + (filter.state() == TripletFilter.State.PENDING ? " WHERE passed_at IS NULL"
                : filter.state() == TripletFilter.State.PASSED ? " WHERE passed_at IS NOT NULL" : "")
                + " ORDER BY first_seen, client, sender, recipient";
        List<TripletRow> out = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                TripletKey key = GreydbRows.key(rs);
                Triplet t = GreydbRows.triplet(rs, 4);
                if (filter.matches(key, t)) {
                    out.add(new TripletRow(key, t));
                }
            }
        }
        return out;
    }

    @Override
    public int deleteTriplets(TripletFilter filter) {
        List<TripletRow> doomed = triplets(filter);
        return transaction("cannot delete triplets", conn -> {
            int n = 0;
            try (PreparedStatement del = conn.prepareStatement(
                    "DELETE FROM triplet WHERE client = ? AND sender = ? AND recipient = ?")) {
                for (TripletRow r : doomed) {
                    PostgresGreylistStore.lock(conn, r.key());
                    GreydbRows.bind(del, r.key());
                    n += del.executeUpdate();
                }
            }
            return n;
        });
    }

    @Override
    public List<WhitelistRow> whitelist() {
        return transaction("cannot list the whitelist", conn -> {
            List<WhitelistRow> out = new ArrayList<>();
            try (PreparedStatement st = conn.prepareStatement(GreydbRows.SELECT_WHITELIST);
                 ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(GreydbRows.whitelistRow(rs));
                }
            }
            return out;
        });
    }

    @Override
    public List<ListEntry> blacklist() {
        return transaction("cannot list the blacklist", conn -> {
            List<ListEntry> out = new ArrayList<>();
            try (PreparedStatement st = conn.prepareStatement(GreydbRows.SELECT_BLACKLIST);
                 ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(GreydbRows.listEntry(rs));
                }
            }
            return out;
        });
    }

    @Override
    public void putListEntry(ListEntry e) {
        String sql = e.black()
                ? "INSERT INTO blacklist (client, created, expires, comment) VALUES (?, ?, ?, ?)"
                        + " ON CONFLICT (client) DO UPDATE SET expires = excluded.expires, comment = excluded.comment"
                : "INSERT INTO whitelist (client, source, created, expires, comment, last_seen) VALUES (?, 'admin', ?, ?, ?, ?)"
                        + " ON CONFLICT (client) DO UPDATE SET source = 'admin', expires = excluded.expires,"
                        + " comment = excluded.comment";
        transaction("cannot add " + e.client() + " to the " + (e.black() ? "blacklist" : "whitelist"), conn -> {
            try (PreparedStatement st = conn.prepareStatement(sql)) {
                st.setString(1, e.client());
                st.setLong(2, e.created().getEpochSecond());
                if (e.expires() == null) {
                    st.setNull(3, Types.BIGINT);
                } else {
                    st.setLong(3, e.expires().getEpochSecond());
                }
                st.setString(4, e.comment());
                if (!e.black()) {
                    st.setLong(5, e.created().getEpochSecond());
                }
                return st.executeUpdate();
            }
        });
    }

    @Override
    public boolean removeListEntry(boolean black, String client) {
        return transaction("cannot remove " + client, conn -> {
            try (PreparedStatement st = conn.prepareStatement(
                    "DELETE FROM " + (black ? "blacklist" : "whitelist") + " WHERE client = ?")) {
                st.setString(1, client);
                return st.executeUpdate() > 0;
            }
        });
    }

    @Override
    public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        // The same deletions greylited schedules; its store knows them.
        return new PostgresGreylistStore(db, false).purgeExpired(now, retryWindow, lifetime);
    }

    @Override
    public Stats stats(Instant now, Duration retryWindow, Duration lifetime) {
        long nowS = now.getEpochSecond();
        long pendingSince = nowS - retryWindow.getSeconds();
        long usedSince = nowS - lifetime.getSeconds();
        return transaction("cannot compute statistics", conn -> {
            long pending = count(conn, "SELECT COUNT(*) FROM triplet WHERE passed_at IS NULL AND first_seen > ?", pendingSince);
            long passed = count(conn, "SELECT COUNT(*) FROM triplet WHERE passed_at IS NOT NULL AND last_seen > ?", usedSince);
            long auto = count(conn, "SELECT COUNT(*) FROM whitelist WHERE source = 'auto' AND last_seen > ?", usedSince);
            long admin = count(conn, "SELECT COUNT(*) FROM whitelist WHERE source <> 'auto' AND (expires IS NULL OR expires > ?)", nowS);
            long black = count(conn, "SELECT COUNT(*) FROM blacklist WHERE expires IS NULL OR expires > ?", nowS);
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
        });
    }

    private static long count(Connection conn, String sql, long arg) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            st.setLong(1, arg);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Override
    public String describe() {
        return db.describe();
    }

    @Override
    public void close() {
        db.close();
    }
}
