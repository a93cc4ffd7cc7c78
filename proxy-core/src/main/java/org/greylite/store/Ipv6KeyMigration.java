package org.greylite.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BinaryOperator;

import org.greylite.net.Cidr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites, once per greydb, the IPv6 client keys an older version wrote in Java's full text
 * ({@code 2001:db8:0:0:0:0:0:1}, {@code 2001:db8:0:1:0:0:0:0/64}) into the RFC 5952 text the programs key by now
 * ({@code 2001:db8::1}, {@code 2001:db8:0:1::/64}), in every table that holds a client: triplets, both kinds of
 * whitelist entry, blacklist entries, remembered behaviours. Without it, every IPv6 client would be greylisted once
 * more after the upgrade, and auto-whitelisted ones would lose their place.
 *
 * <p>Rewriting the rows once was chosen over looking each key up in both texts: that would have cost every RCPT a
 * second lookup forever, and left greylitectl showing and matching two spellings of one client. The rewrite runs in
 * one transaction, the first time a program of this version opens the greydb, and is then marked done in
 * {@code greydb_meta} ({@link #META_KEY}), so later opens cost one read. Where a row already exists under the new
 * text (written by this version meanwhile, or typed by hand), the two are merged as one client's history (see
 * {@link #TABLES}), never kept twice and never lost.
 *
 * <p>A program of an older version still writing to the greydb after the rewrite (another MX host sharing a
 * PostgreSQL greydb, not yet upgraded) writes its rows in the old text again; deleting the {@link #META_KEY} row
 * makes the next program that opens the greydb rewrite them too.
 */
final class Ipv6KeyMigration {

    /** The {@code greydb_meta} row saying in which text the greydb's keys are written. */
    static final String META_KEY = "client_key_text";
    static final String RFC_5952 = "rfc5952";

    /** What one run did: rows whose key was rewritten, and how many of them were merged into an existing row. */
    record Result(int rewritten, int merged) {
    }

    /**
     * A table holding client keys: the columns that complete its primary key after {@code client}, the others, and
     * how the values of two rows of one key merge ({@code (kept, moved)}: the row under the new text first).
     * Values are {@link Long} or {@link String} (the columns in {@link #TEXT_COLUMNS}), or null.
     */
    private record Table(String name, List<String> keys, List<String> values, BinaryOperator<Object[]> merge) {
    }

    private static final Set<String> TEXT_COLUMNS = Set.of("sender", "recipient", "behaviour", "source", "comment");

    private static final List<Table> TABLES = List.of(
            // One triplet's history under two spellings: passed if either passed (at the earlier pass), first seen at
            // the earlier first attempt, last seen at the later, with the larger count of refusals.
            new Table("triplet", List.of("sender", "recipient"),
                    List.of("refusals", "first_seen", "last_seen", "passed_at"),
                    (a, b) -> new Object[] {max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3])}),
            // An administrator's entry wins over an earned one; the later use counts either way.
            new Table("whitelist", List.of(), List.of("source", "created", "last_seen", "expires", "comment"),
                    Ipv6KeyMigration::mergeWhitelist),
            new Table("blacklist", List.of(), List.of("created", "expires", "comment"),
                    (a, b) -> new Object[] {min(a[0], b[0]), laterEnd(a[1], b[1]), a[2] != null ? a[2] : b[2]}),
            new Table("client_behaviour", List.of("behaviour"), List.of("last_seen"),
                    (a, b) -> new Object[] {max(a[0], b[0])}));

    private static final Logger LOG = LoggerFactory.getLogger(Ipv6KeyMigration.class);

    private Ipv6KeyMigration() {
    }

    /** Logs what a run did to {@code greydb} (described as in the programs' other lines), when it did anything. */
    static void report(String greydb, Result r) {
        if (r.rewritten() > 0) {
            LOG.info("{}: {} rows keyed by an IPv6 client in the old full text (2001:db8:0:0:0:0:0:1) now keyed in"
                    + " RFC 5952 text (2001:db8::1), as the programs key them now; {} of them merged with a row already"
                    + " under the new text", greydb, r.rewritten(), r.merged());
        }
    }

    /** Whether the greydb's keys are known to be in RFC 5952's text: one read, in the caller's transaction or none. */
    static boolean done(Connection conn) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement("SELECT value FROM greydb_meta WHERE key = ?")) {
            st.setString(1, META_KEY);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && RFC_5952.equals(rs.getString(1));
            }
        }
    }

    /**
     * Rewrites the keys and marks the greydb done, unless it is done already, inside the transaction the caller
     * opened and commits; the caller holds the lock that keeps two programs from running it at once.
     *
     * @return what was done; {@code (0, 0)} when nothing was to do
     */
    static Result run(Connection conn) throws SQLException {
        if (done(conn)) {
            return new Result(0, 0);
        }
        int rewritten = 0;
        int merged = 0;
        for (Table t : TABLES) {
            for (Object[] row : oldKeyedRows(conn, t)) {
                String old = (String) row[0];
                String now = Cidr.canonical(old);
                if (now.equals(old)) {
                    continue;
                }
                rewritten++;
                if (move(conn, t, row, now)) {
                    merged++;
                }
            }
        }
        try (PreparedStatement st = conn.prepareStatement("INSERT INTO greydb_meta (key, value) VALUES (?, ?)"
                + " ON CONFLICT (key) DO UPDATE SET value = excluded.value")) {
            st.setString(1, META_KEY);
            st.setString(2, RFC_5952);
            st.executeUpdate();
        }
        return new Result(rewritten, merged);
    }

    /** The rows of {@code t} whose client may be an IPv6 key: client, the other key columns, the values. */
    private static List<Object[]> oldKeyedRows(Connection conn, Table t) throws SQLException {
        List<String> columns = columns(t);
        List<Object[]> rows = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement("SELECT " + String.join(", ", columns) + " FROM " + t.name()
                + " WHERE client LIKE '%:%'"); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                Object[] row = new Object[columns.size()];
                for (int i = 0; i < row.length; i++) {
                    row[i] = get(rs, i + 1, columns.get(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /**
     * Moves {@code row} to the key {@code now}; when a row is there already, merges the two into it.
     *
     * @return true when it was merged
     */
    private static boolean move(Connection conn, Table t, Object[] row, String now) throws SQLException {
        int keys = 1 + t.keys().size();
        String where = " WHERE client = ?"
                + t.keys().stream().map(k -> " AND " + k + " = ?").reduce("", String::concat);
        Object[] existing = null;
        try (PreparedStatement st = conn.prepareStatement("SELECT " + String.join(", ", t.values()) + " FROM "
                + t.name() + where)) {
            bindKey(st, 1, t, row, now);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next()) {
                    existing = new Object[t.values().size()];
                    for (int i = 0; i < existing.length; i++) {
                        existing[i] = get(rs, i + 1, t.values().get(i));
                    }
                }
            }
        }
        if (existing == null) {
            try (PreparedStatement st = conn.prepareStatement("UPDATE " + t.name() + " SET client = ?" + where)) {
                st.setString(1, now);
                bindKey(st, 2, t, row, (String) row[0]);
                st.executeUpdate();
            }
            return false;
        }
        Object[] moved = new Object[t.values().size()];
        System.arraycopy(row, keys, moved, 0, moved.length);
        Object[] merged = t.merge().apply(existing, moved);
        String set = String.join(" = ?, ", t.values()) + " = ?";
        try (PreparedStatement st = conn.prepareStatement("UPDATE " + t.name() + " SET " + set + where)) {
            for (int i = 0; i < merged.length; i++) {
                set(st, i + 1, merged[i]);
            }
            bindKey(st, merged.length + 1, t, row, now);
            st.executeUpdate();
        }
        try (PreparedStatement st = conn.prepareStatement("DELETE FROM " + t.name() + where)) {
            bindKey(st, 1, t, row, (String) row[0]);
            st.executeUpdate();
        }
        return true;
    }

    /** Binds {@code client} and the row's other key columns from {@code first} on. */
    private static void bindKey(PreparedStatement st, int first, Table t, Object[] row, String client)
            throws SQLException {
        st.setString(first, client);
        for (int i = 0; i < t.keys().size(); i++) {
            st.setString(first + 1 + i, (String) row[1 + i]);
        }
    }

    private static List<String> columns(Table t) {
        List<String> columns = new ArrayList<>();
        columns.add("client");
        columns.addAll(t.keys());
        columns.addAll(t.values());
        return columns;
    }

    private static Object get(ResultSet rs, int index, String column) throws SQLException {
        if (column.equals("client") || TEXT_COLUMNS.contains(column)) {
            return rs.getString(index);
        }
        long v = rs.getLong(index);
        return rs.wasNull() ? null : v;
    }

    private static void set(PreparedStatement st, int index, Object value) throws SQLException {
        if (value instanceof String s) {
            st.setString(index, s);
        } else if (value instanceof Long l) {
            st.setLong(index, l);
        } else {
            st.setNull(index, Types.BIGINT); // only time columns are nullable among the numbers
        }
    }

    /**
     * Two whitelist rows of one client: an administrator's entry (source 'admin') is kept over an earned one; of two
     * entries of one source, the earlier creation, the later end (none: never) and the comment there is. The last
     * use is the later of the two.
     */
    private static Object[] mergeWhitelist(Object[] a, Object[] b) {
        boolean aAdmin = "admin".equals(a[0]);
        boolean bAdmin = "admin".equals(b[0]);
        Object lastUse = max(a[2], b[2]);
        if (aAdmin != bAdmin) {
            Object[] kept = (aAdmin ? a : b).clone();
            kept[2] = lastUse;
            return kept;
        }
        return new Object[] {a[0], min(a[1], b[1]), lastUse, laterEnd(a[3], b[3]), a[4] != null ? a[4] : b[4]};
    }

    /** The later of two ends, where null means never ends. */
    private static Object laterEnd(Object a, Object b) {
        return a == null || b == null ? null : max(a, b);
    }

    private static Object max(Object a, Object b) {
        return a == null ? b : b == null ? a : Long.valueOf(Math.max((Long) a, (Long) b));
    }

    /** The smaller of two values; a null one (a pending triplet's pass) does not count. */
    private static Object min(Object a, Object b) {
        return a == null ? b : b == null ? a : Long.valueOf(Math.min((Long) a, (Long) b));
    }
}
