package org.greylite.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.greylite.greylist.ClientKeyOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every statement the programs run on a greydb, written once for SQLite and PostgreSQL: the engine's
 * reads and writes, the whitelist and its renewal, the purge, and the administrators' queries. Each method
 * runs inside a transaction its caller opened ({@link GreydbDialect#transaction}); where the two databases
 * differ, the {@link GreydbDialect} says how.
 */
final class GreydbSql {

    private static final Logger LOG = LoggerFactory.getLogger(GreydbSql.class);

    private final GreydbDialect dialect;
    private final String upsertAutoWhitelist;
    private final String upsertBehaviour;

    GreydbSql(GreydbDialect dialect) {
        this.dialect = dialect;
        this.upsertAutoWhitelist = autoWhitelistUpsert(dialect);
        this.upsertBehaviour = "INSERT INTO client_behaviour (client, behaviour, last_seen) VALUES (?, ?, ?)"
                + " ON CONFLICT (client, behaviour) DO UPDATE SET last_seen = " + dialect.greatest()
                + "(client_behaviour.last_seen, excluded.last_seen)";
    }

    /**
     * The statement that puts a client key on the auto-whitelist: parameters client, the time (created and last use),
     * and the last use before which an auto entry has expired ({@link #AUTO_WHITELIST_EXPIRED_PARAMETERS} times).
     *
     * <p>An entry already there renews its last use. One that has expired and is not purged yet (a hand-made entry
     * past its end date, an auto entry unused for the whitelist lifetime) counts as absent at lookup (SPEC §3.7), so
     * it counts as absent here too: the pass writes a new auto entry in its place, created now, with no end date and
     * no comment. Renewing it instead left a hand-made entry past its end date whitelisting nobody while it held the
     * pass's last use, and the purge then deleted it with the whitelisting the client had just earned: every pass
     * until the purge earned nothing. An auto entry brought back so kept the date it was first earned.
     */
    private static String autoWhitelistUpsert(GreydbDialect dialect) {
        String expired = "(whitelist.expires IS NOT NULL AND whitelist.expires <= excluded.last_seen"
                + " OR whitelist.source = 'auto' AND whitelist.last_seen <= ?)";
        return "INSERT INTO whitelist (client, source, created, last_seen) VALUES (?, 'auto', ?, ?)"
                + " ON CONFLICT (client) DO UPDATE SET"
                + " source = CASE WHEN " + expired + " THEN 'auto' ELSE whitelist.source END,"
                + " created = CASE WHEN " + expired + " THEN excluded.created ELSE whitelist.created END,"
                + " expires = CASE WHEN " + expired + " THEN NULL ELSE whitelist.expires END,"
                + " comment = CASE WHEN " + expired + " THEN NULL ELSE whitelist.comment END,"
                + " last_seen = CASE WHEN " + expired + " THEN excluded.last_seen ELSE " + dialect.greatest()
                + "(whitelist.last_seen, excluded.last_seen) END";
    }

    /** How many times {@link #autoWhitelistUpsert} asks for the last use before which an auto entry has expired. */
    private static final int AUTO_WHITELIST_EXPIRED_PARAMETERS = 5;

    private static final String TRIPLET_COLUMNS = "client, sender, recipient, refusals, first_seen, last_seen, passed_at";

    Optional<Triplet> triplet(Connection conn, TripletKey key) throws SQLException {
        try (GreydbDialect.Prepared p = dialect.prepare(conn,
                "SELECT refusals, first_seen, last_seen, passed_at FROM triplet WHERE client = ? AND sender = ? AND recipient = ?")) {
            PreparedStatement st = p.statement();
            GreydbRows.bind(st, key);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.of(GreydbRows.triplet(rs, 1)) : Optional.empty();
            }
        }
    }

    /**
     * How many triplets of {@code client} are pending and were first seen after {@code after}, counted up to
     * {@code limit}: the primary key starts with the client, so this reads an index range, and the LIMIT keeps
     * a client holding many more rows from costing more than the cap.
     */
    int pendingTriplets(Connection conn, String client, Instant after, int limit) throws SQLException {
        return countUpTo(conn, "SELECT COUNT(*) FROM (SELECT 1 FROM triplet WHERE client = ?"
                + " AND passed_at IS NULL AND first_seen > ? LIMIT ?) AS pending", client, after, limit);
    }

    /**
     * How many triplets of {@code client} have passed and were last used after {@code after}, counted up to
     * {@code limit}: the same index range as {@link #pendingTriplets}, for auto-whitelisting after N passes.
     * Counting the rows the greydb keeps anyway was chosen over a per-client counter column: no schema change,
     * no migration of existing greydbs, and a pass that expires stops counting by itself, as postgrey's count of
     * a client's successful retries forgets old ones.
     */
    int passedTriplets(Connection conn, String client, Instant after, int limit) throws SQLException {
        return countUpTo(conn, "SELECT COUNT(*) FROM (SELECT 1 FROM triplet WHERE client = ?"
                + " AND passed_at IS NOT NULL AND last_seen > ? LIMIT ?) AS passed", client, after, limit);
    }

    /** Runs a count of {@link #pendingTriplets}'s form: parameters client, a time in seconds, the limit. */
    private int countUpTo(Connection conn, String sql, String client, Instant after, int limit) throws SQLException {
        try (GreydbDialect.Prepared p = dialect.prepare(conn, sql)) {
            PreparedStatement st = p.statement();
            st.setString(1, client);
            st.setLong(2, after.getEpochSecond());
            st.setInt(3, limit);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Writes what the engine decided: the triplet's new state, the auto-whitelist entry, a behaviour.
     *
     * @param lifetime how long an auto-whitelist entry lives after its last use: one older is replaced, not renewed
     *                 (see {@link #autoWhitelistUpsert}); null when not known (tools), and then only end dates count
     */
    void apply(Connection conn, TripletKey key, TripletUpdate<?> update, Duration lifetime) throws SQLException {
        Triplet w = update.write();
        if (w != null) {
            try (GreydbDialect.Prepared p = dialect.prepare(conn, "INSERT INTO triplet (" + TRIPLET_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client, sender, recipient) DO UPDATE SET"
                    + " refusals = excluded.refusals, first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
                    + " passed_at = excluded.passed_at")) {
                PreparedStatement st = p.statement();
                GreydbRows.bind(st, key);
                st.setInt(4, w.refusals());
                st.setLong(5, w.firstSeen().getEpochSecond());
                st.setLong(6, w.lastSeen().getEpochSecond());
                setInstant(st, 7, w.passedAt());
                st.executeUpdate();
            }
        }
        if (update.whitelistAt() != null) {
            long now = update.whitelistAt().getEpochSecond();
            try (GreydbDialect.Prepared p = dialect.prepare(conn, upsertAutoWhitelist)) {
                PreparedStatement st = p.statement();
                st.setString(1, key.client());
                st.setLong(2, now);
                st.setLong(3, now);
                long expiredBefore = lifetime == null ? Long.MIN_VALUE : now - lifetime.getSeconds();
                for (int i = 0; i < AUTO_WHITELIST_EXPIRED_PARAMETERS; i++) {
                    st.setLong(4 + i, expiredBefore);
                }
                st.executeUpdate();
            }
        }
        if (update.remember() != null) {
            try (GreydbDialect.Prepared p = dialect.prepare(conn, upsertBehaviour)) {
                PreparedStatement st = p.statement();
                st.setString(1, key.client());
                st.setString(2, update.remember().behaviour());
                st.setLong(3, update.remember().at().getEpochSecond());
                st.executeUpdate();
            }
        }
    }

    /**
     * True when the client key is on the whitelist and its entry has not expired at {@code now}; a hit renews
     * an auto entry older than {@code renewAfter}. A renewal that fails is logged and undone alone (a savepoint):
     * the entry is valid, failing to extend it only shortens its life.
     */
    boolean whitelisted(Connection conn, String clientKey, Instant now, Duration lifetime, Duration renewAfter)
            throws SQLException {
        WhitelistRow row;
        try (GreydbDialect.Prepared p = dialect.prepare(conn, "SELECT source, last_seen, expires FROM whitelist WHERE client = ?")) {
            PreparedStatement st = p.statement();
            st.setString(1, clientKey);
            try (ResultSet rs = st.executeQuery()) {
                row = rs.next() ? WhitelistRow.read(rs, 1) : null;
            }
        }
        return whitelisted(conn, clientKey, row, now, lifetime, renewAfter);
    }

    /** A client key's whitelist row, where the decision needs it: or null when there is none. */
    record WhitelistRow(String source, long lastSeen, Instant expires) {

        /** {@code source, last_seen, expires} from {@code first}; null when source is NULL (no row joined). */
        static WhitelistRow read(ResultSet rs, int first) throws SQLException {
            String source = rs.getString(first);
            return source == null ? null : new WhitelistRow(source, rs.getLong(first + 1), GreydbRows.instant(rs, first + 2));
        }
    }

    /**
     * The whitelist row and the triplet of a decision, read together (see {@link #whitelistAndTriplet}), and
     * whether the client key has any triplet at all: when it has none, its counts of pending and of passed
     * triplets are 0 without being asked.
     */
    record ClientRows(WhitelistRow whitelist, Optional<Triplet> triplet, boolean clientHasTriplets) {
    }

    /**
     * The client key's whitelist row, the triplet, and whether the client key has any triplet, in one statement
     * where the dialect needs no lock on the triplet between the reads ({@link GreydbDialect#locksTriplets}).
     * Each statement costs more in the driver's calls than in the database: the joined read spares the triplet's
     * own, and the existence test (the first entry of the key's range, found or not in one index seek) spares a
     * new client's count of pending triplets, which the engine asks for at every first attempt (measured through
     * the driver: the read and the count 11-12 µs, the read with the test 4 µs; about 1 µs more where the client
     * has triplets and the count still runs).
     */
    ClientRows whitelistAndTriplet(Connection conn, TripletKey key) throws SQLException {
        try (GreydbDialect.Prepared p = dialect.prepare(conn, "SELECT w.source, w.last_seen, w.expires,"
                + " t.refusals, t.first_seen, t.last_seen, t.passed_at,"
                + " EXISTS (SELECT 1 FROM triplet WHERE client = ?) FROM (SELECT 1) AS one"
                + " LEFT JOIN whitelist AS w ON w.client = ?"
                + " LEFT JOIN triplet AS t ON t.client = ? AND t.sender = ? AND t.recipient = ?")) {
            PreparedStatement st = p.statement();
            st.setString(1, key.client());
            st.setString(2, key.client());
            st.setString(3, key.client());
            st.setString(4, key.sender());
            st.setString(5, key.recipient());
            try (ResultSet rs = st.executeQuery()) {
                rs.next(); // one row always, from (SELECT 1)
                WhitelistRow w = WhitelistRow.read(rs, 1);
                rs.getObject(4);
                Optional<Triplet> t = rs.wasNull() ? Optional.empty() : Optional.of(GreydbRows.triplet(rs, 4));
                return new ClientRows(w, t, rs.getInt(8) != 0);
            }
        }
    }

    /**
     * Whether {@code row} (null: none) whitelists the client key now, renewing an auto entry's last use when it is
     * {@code renewAfter} old (in a savepoint: a failed renewal costs the decision nothing).
     */
    boolean whitelisted(Connection conn, String clientKey, WhitelistRow row, Instant now, Duration lifetime,
                        Duration renewAfter) throws SQLException {
        if (row == null) {
            return false;
        }
        long nowS = now.getEpochSecond();
        if (row.expires() != null && row.expires().getEpochSecond() <= nowS) {
            return false;
        }
        if (!"auto".equals(row.source())) {
            return true;
        }
        if (row.lastSeen() + lifetime.getSeconds() <= nowS) {
            return false;
        }
        if (nowS - row.lastSeen() >= renewAfter.getSeconds()) {
            try (Statement control = conn.createStatement()) {
                control.execute("SAVEPOINT renewal");
                try (GreydbDialect.Prepared p = dialect.prepare(conn,
                        "UPDATE whitelist SET last_seen = ? WHERE client = ? AND last_seen < ?")) {
                    PreparedStatement st = p.statement();
                    st.setLong(1, nowS);
                    st.setString(2, clientKey);
                    st.setLong(3, nowS);
                    st.executeUpdate();
                    control.execute("RELEASE SAVEPOINT renewal");
                } catch (SQLException e) {
                    LOG.warn("{}: cannot renew the whitelist entry of {}: {}", dialect.describe(), clientKey, e.getMessage());
                    control.execute("ROLLBACK TO SAVEPOINT renewal");
                }
            }
        }
        return true;
    }

    /** The behaviours remembered for a client key, with when each was last shown. */
    Map<String, Instant> behaviours(Connection conn, String clientKey) throws SQLException {
        try (GreydbDialect.Prepared p = dialect.prepare(conn, "SELECT behaviour, last_seen FROM client_behaviour WHERE client = ?")) {
            PreparedStatement st = p.statement();
            st.setString(1, clientKey);
            try (ResultSet rs = st.executeQuery()) {
                Map<String, Instant> out = new HashMap<>();
                while (rs.next()) {
                    out.put(rs.getString(1), Instant.ofEpochSecond(rs.getLong(2)));
                }
                return out;
            }
        }
    }

    List<ListEntry> adminEntries(Connection conn) throws SQLException {
        return listEntries(conn, "SELECT client, 0, created, expires, comment FROM whitelist WHERE source = 'admin'"
                + " UNION ALL SELECT client, 1, created, expires, comment FROM blacklist");
    }

    /** The blacklist, in {@link ClientKeyOrder}. */
    List<ListEntry> blacklist(Connection conn) throws SQLException {
        return ClientKeyOrder.sorted(listEntries(conn, "SELECT client, 1, created, expires, comment FROM blacklist"),
                ListEntry::client);
    }

    private static List<ListEntry> listEntries(Connection conn, String sql) throws SQLException {
        List<ListEntry> out = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                out.add(GreydbRows.listEntry(rs));
            }
        }
        return out;
    }

    /**
     * A stretch of a table the purge looked at: its last key (null when it reaches the table's end), and whether a
     * row in it has expired, or holds a time too far ahead ({@link ExpiringTable#AHEAD_TOLERANCE}).
     */
    record PurgeChunk(List<String> end, boolean expired, boolean ahead) {
    }

    /**
     * Looks at the next {@code limit} rows of {@code table} after the key {@code after} (null: from the first), in
     * the order of the primary key: a range of its index, however large the table. Only reads, and SQLite or
     * PostgreSQL reads the rows itself: only the stretch's last key and what it holds come back (fetching each row's
     * key through the driver cost three times the CPU of the deletes).
     */
    PurgeChunk expiredChunk(Connection conn, ExpiringTable table, List<String> after, int limit) throws SQLException {
        List<String> end = chunkEnd(conn, table, after, limit);
        String range = range(table, after, end);
        try (PreparedStatement st = conn.prepareStatement(
                "SELECT EXISTS (SELECT 1 FROM " + table.name() + " WHERE " + range + "(" + table.expired() + ")),"
                        + " EXISTS (SELECT 1 FROM " + table.name() + " WHERE " + range + "(" + table.ahead() + "))")) {
            int i = bind(st, bind(st, bind(st, 1, after), end), table.arguments());
            bind(st, bind(st, bind(st, i, after), end), table.aheadArguments());
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return new PurgeChunk(end, rs.getBoolean(1), rs.getBoolean(2));
            }
        }
    }

    /** The last key of the next {@code limit} rows of {@code table} after {@code after}; null past the table's end. */
    private List<String> chunkEnd(Connection conn, ExpiringTable table, List<String> after, int limit)
            throws SQLException {
        try (PreparedStatement st = conn.prepareStatement("SELECT " + String.join(", ", table.key()) + " FROM " + table.name()
                + (after == null ? "" : " WHERE " + table.keyRow() + " > " + table.keyParameters())
                + " ORDER BY " + String.join(", ", table.key()) + " LIMIT 1 OFFSET ?")) {
            int i = bind(st, 1, after);
            st.setInt(i, limit - 1);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                List<String> end = new ArrayList<>(table.key().size());
                for (int c = 1; c <= table.key().size(); c++) {
                    end.add(rs.getString(c));
                }
                return end;
            }
        }
    }

    /**
     * A stretch of a table {@link PurgeClock} looked at: its last key (null when it reaches the table's end), whether
     * a row in it was last used within the window, and the latest use in it not after the window's end (null: none).
     */
    record UseChunk(List<String> end, boolean usedBetween, Long latestUpTo) {
    }

    /**
     * Looks at the next {@code limit} rows of {@code table} after the key {@code after} (null: from the first), those
     * that {@code counted} (an SQL condition on the row) says are uses: whether one was last used after
     * {@code windowAfter} and not after {@code notAfter} (Unix seconds), and the latest not after {@code notAfter}.
     * The column has no index (every decision writes it, and an index would cost each of them): read a stretch of
     * the primary key at a time, as the purge reads, a greydb of millions of rows is looked at in transactions of a
     * millisecond or so, and the decisions waiting for the connection take it in between (read whole in one
     * transaction, 3 million triplets held them 0.6 s from the page cache, 3.4 s from the disk, past greydaemon's
     * 2 s busy timeout).
     */
    UseChunk useChunk(Connection conn, ExpiringTable table, String counted, List<String> after, int limit,
                      long windowAfter, long notAfter) throws SQLException {
        List<String> end = chunkEnd(conn, table, after, limit);
        String rows = " FROM " + table.name() + " WHERE " + range(table, after, end) + "(" + counted + ") AND ";
        try (PreparedStatement st = conn.prepareStatement("SELECT EXISTS (SELECT 1" + rows
                + "last_seen > ? AND last_seen <= ?), (SELECT MAX(last_seen)" + rows + "last_seen <= ?)")) {
            int i = bind(st, bind(st, 1, after), end);
            i = bind(st, i, windowAfter, notAfter);
            i = bind(st, bind(st, i, after), end);
            bind(st, i, notAfter);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                boolean used = rs.getBoolean(1);
                long latest = rs.getLong(2);
                return new UseChunk(end, used, rs.wasNull() ? null : latest);
            }
        }
    }

    /**
     * Deletes the rows of {@code table} that have expired with keys after {@code after} up to {@code end} (null: from
     * the first, to the last), each judged again here: a row used again since {@link #expiredChunk} looked stays.
     */
    int deleteExpired(Connection conn, ExpiringTable table, List<String> after, List<String> end) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(
                "DELETE FROM " + table.name() + " WHERE " + range(table, after, end) + "(" + table.expired() + ")")) {
            bind(st, bind(st, bind(st, 1, after), end), table.arguments());
            return st.executeUpdate();
        }
    }

    /**
     * Brings the times of {@code table} more than {@link ExpiringTable#AHEAD_TOLERANCE} ahead back to the purge's
     * now, in the rows with keys after {@code after} up to {@code end}; returns how many rows changed.
     */
    int bringBackTimesAhead(Connection conn, ExpiringTable table, List<String> after, List<String> end) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement("UPDATE " + table.name() + " SET " + table.bringBack()
                + " WHERE " + range(table, after, end) + "(" + table.ahead() + ")")) {
            int i = bind(st, 1, table.bringBackArguments());
            bind(st, bind(st, bind(st, i, after), end), table.aheadArguments());
            return st.executeUpdate();
        }
    }

    /** The condition of a row between two keys, ending in AND (empty for the whole table); its parameters: the keys'. */
    private static String range(ExpiringTable table, List<String> after, List<String> end) {
        return (after == null ? "" : table.keyRow() + " > " + table.keyParameters() + " AND ")
                + (end == null ? "" : table.keyRow() + " <= " + table.keyParameters() + " AND ");
    }

    /** Sets {@code values} from parameter {@code first} on (none when null); returns the next parameter's index. */
    private static int bind(PreparedStatement st, int first, List<String> values) throws SQLException {
        int i = first;
        if (values != null) {
            for (String v : values) {
                st.setString(i++, v);
            }
        }
        return i;
    }

    private static int bind(PreparedStatement st, int first, long... values) throws SQLException {
        int i = first;
        for (long v : values) {
            st.setLong(i++, v);
        }
        return i;
    }

    /**
     * Claims a purge round: greydb_meta's {@code last_purge} (Unix seconds) moves to now only if it is at least
     * {@code interval} old, in one statement, so of many processes asking at once exactly one wins. A round
     * recorded more than {@code interval} ahead of now is due as well: it was claimed by a clock that has since
     * stepped back (NTP correcting a host started ahead), and waiting for the clock to reach it stopped every
     * purge for as long as the step, years for a host that started in the wrong year, while the greydb grew.
     */
    boolean claimPurge(Connection conn, Instant now, Duration interval) throws SQLException {
        long nowS = now.getEpochSecond();
        long due = nowS - interval.getSeconds();
        long ahead = nowS + interval.getSeconds();
        try (PreparedStatement st = conn.prepareStatement(
                "INSERT INTO greydb_meta (key, value) VALUES ('last_purge', ?) ON CONFLICT (key)"
                        + " DO UPDATE SET value = excluded.value WHERE CAST(greydb_meta.value AS BIGINT) <= ?"
                        + " OR CAST(greydb_meta.value AS BIGINT) > ?")) {
            st.setString(1, Long.toString(nowS));
            st.setLong(2, due);
            st.setLong(3, ahead);
            return st.executeUpdate() == 1;
        }
    }

    /** When a purge round was last claimed, or null if never. */
    Instant lastPurge(Connection conn) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(
                "SELECT CAST(value AS BIGINT) FROM greydb_meta WHERE key = 'last_purge'");
             ResultSet rs = st.executeQuery()) {
            return rs.next() ? Instant.ofEpochSecond(rs.getLong(1)) : null;
        }
    }

    /** The lifetimes recorded by the last engine that started on this greydb ({@link GreydbLifetimes}). */
    GreydbLifetimes lifetimes(Connection conn) throws SQLException {
        Map<String, String> rows = new HashMap<>();
        try (PreparedStatement st = conn.prepareStatement("SELECT key, value FROM greydb_meta WHERE key IN (?, ?, ?)")) {
            st.setString(1, GreydbLifetimes.MIN_DELAY);
            st.setString(2, GreydbLifetimes.RETRY_WINDOW);
            st.setString(3, GreydbLifetimes.WHITELIST_LIFETIME);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    rows.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return GreydbLifetimes.of(rows);
    }

    /** Records {@code lifetimes}, each row written only where its value differs; returns how many were. */
    int recordLifetimes(Connection conn, GreydbLifetimes lifetimes) throws SQLException {
        int n = 0;
        try (PreparedStatement st = conn.prepareStatement("INSERT INTO greydb_meta (key, value) VALUES (?, ?)"
                + " ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE greydb_meta.value <> excluded.value")) {
            for (Map.Entry<String, String> row : lifetimes.rows().entrySet()) {
                st.setString(1, row.getKey());
                st.setString(2, row.getValue());
                n += st.executeUpdate();
            }
        }
        return n;
    }

    /**
     * Hands the triplets {@code filter} matches to {@code each} as they are read, in {@link TripletListOrder}: oldest
     * first, then by client, sender and recipient.
     */
    void triplets(Connection conn, TripletFilter filter, java.util.function.Consumer<GreydbAdmin.TripletRow> each)
            throws SQLException {
        String sql = "SELECT " + TRIPLET_COLUMNS + " FROM triplet"
                + (filter.state() == TripletFilter.State.PENDING ? " WHERE passed_at IS NULL"
                : filter.state() == TripletFilter.State.PASSED ? " WHERE passed_at IS NOT NULL" : "")
                + " ORDER BY first_seen";
        TripletListOrder ordered = new TripletListOrder(each);
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            st.setFetchSize(1000); // PostgreSQL's driver otherwise reads the whole result into memory first
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    TripletKey key = GreydbRows.key(rs);
                    Triplet t = GreydbRows.tripletAsStored(rs, 4);
                    if (filter.matches(key, t)) {
                        ordered.accept(new GreydbAdmin.TripletRow(key, t));
                    }
                }
            }
        }
        ordered.finish();
    }

    /** Deletes these triplets, each under its lock, so a decision in flight on it finishes first. */
    int deleteTriplets(Connection conn, List<GreydbAdmin.TripletRow> doomed) throws SQLException {
        int n = 0;
        try (PreparedStatement del = conn.prepareStatement(
                "DELETE FROM triplet WHERE client = ? AND sender = ? AND recipient = ?")) {
            for (GreydbAdmin.TripletRow r : doomed) {
                dialect.lockTriplet(conn, r.key());
                GreydbRows.bind(del, r.key());
                n += del.executeUpdate();
            }
        }
        return n;
    }

    /** The whitelist: the hand-made entries, then the earned ones, each in {@link ClientKeyOrder}. */
    List<GreydbAdmin.WhitelistRow> whitelistRows(Connection conn) throws SQLException {
        List<GreydbAdmin.WhitelistRow> out = new ArrayList<>();
        try (PreparedStatement st = conn.prepareStatement(
                "SELECT client, source, created, last_seen, expires, comment FROM whitelist");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                out.add(GreydbRows.whitelistRow(rs));
            }
        }
        List<GreydbAdmin.WhitelistRow> sorted = ClientKeyOrder.sorted(out, GreydbAdmin.WhitelistRow::client);
        sorted.sort(java.util.Comparator.comparing(GreydbAdmin.WhitelistRow::source)); // stable: clients stay in order
        return sorted;
    }

    void putListEntry(Connection conn, ListEntry e) throws SQLException {
        String sql = e.black()
                ? "INSERT INTO blacklist (client, created, expires, comment) VALUES (?, ?, ?, ?)"
                        + " ON CONFLICT (client) DO UPDATE SET expires = excluded.expires, comment = excluded.comment"
                : "INSERT INTO whitelist (client, source, created, expires, comment, last_seen) VALUES (?, 'admin', ?, ?, ?, ?)"
                        + " ON CONFLICT (client) DO UPDATE SET source = 'admin', expires = excluded.expires,"
                        + " comment = excluded.comment";
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            st.setString(1, e.client());
            st.setLong(2, e.created().getEpochSecond());
            setInstant(st, 3, e.expires());
            st.setString(4, e.comment());
            if (!e.black()) {
                st.setLong(5, e.created().getEpochSecond());
            }
            st.executeUpdate();
        }
    }

    boolean removeListEntry(Connection conn, boolean black, String client) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(
                "DELETE FROM " + (black ? "blacklist" : "whitelist") + " WHERE client = ?")) {
            st.setString(1, client);
            return st.executeUpdate() > 0;
        }
    }

    GreydbAdmin.Stats stats(Connection conn, Instant now, Duration retryWindow, Duration lifetime) throws SQLException {
        long nowS = now.getEpochSecond();
        long pendingSince = nowS - retryWindow.getSeconds();
        long usedSince = nowS - lifetime.getSeconds();
        long pending = count(conn, "SELECT COUNT(*) FROM triplet WHERE passed_at IS NULL AND first_seen > ?", pendingSince);
        long passed = count(conn, "SELECT COUNT(*) FROM triplet WHERE passed_at IS NOT NULL AND last_seen > ?", usedSince);
        long auto = count(conn, "SELECT COUNT(*) FROM whitelist WHERE source = 'auto' AND last_seen > ?", usedSince);
        long admin = count(conn, "SELECT COUNT(*) FROM whitelist WHERE source <> 'auto' AND (expires IS NULL OR expires > ?)", nowS);
        long black = count(conn, "SELECT COUNT(*) FROM blacklist WHERE expires IS NULL OR expires > ?", nowS);
        StatsTally tally = new StatsTally(now);
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

    private static int update(Connection conn, String sql, long... args) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                st.setLong(i + 1, args[i]);
            }
            return st.executeUpdate();
        }
    }

    private static void setInstant(PreparedStatement st, int index, Instant at) throws SQLException {
        if (at == null) {
            st.setNull(index, Types.BIGINT);
        } else {
            st.setLong(index, at.getEpochSecond());
        }
    }
}
