package org.greylite.store;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import com.google.common.net.InetAddresses;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KeyedAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings what greylite 2.3 knew into the greydb when its own database is opened as the greydb (the same DBFILE, since
 * the wrapper is a drop-in): the clients of its {@code verified} table become auto-whitelist entries, the triplets of
 * its {@code pending} table pending triplets. Without it every client greylite had verified was greylisted again on
 * the day of the switch.
 *
 * <p>It runs once per file: in the transaction that adds the greydb's tables beside greylite's, or, when they are
 * there already (added by greylitectl, or by a version without this import), in a transaction of its own the next time
 * a program that greylists opens the file. {@link #META_KEY} in {@code greydb_meta} then records it, so a later open
 * costs one read and greylite's rows, which may have changed meanwhile, are never brought in twice. greylite's tables
 * are only read: going back to greylite finds them as it left them.
 *
 * <p>Rows are keyed as the program keys a client it knows no PTR name of: the address under {@code ip}, its network
 * under {@code net} and {@code smart} (greylite kept addresses only; looking up thousands of PTR names while holding
 * the greydb's write lock would stall every session). Senders and recipients are keyed as the engine keys them
 * (lower case, the sender normalised when that is on), so a retry of an imported triplet is recognised. A verified
 * client last seen longer ago than the whitelist lifetime, and a pending triplet first tried longer ago than the
 * retry window, are skipped: the engine would count them as absent. A row whose address or time cannot be read is
 * skipped and counted. Where the greydb holds a row under the same key already, it keeps it (it is this program's own
 * knowledge); verified addresses of one network merge into one entry, first created and last seen.
 */
final class Greylite23Import {

    /** The {@code greydb_meta} row saying greylite 2.3's tables were imported (its value: when, Unix seconds). */
    static final String META_KEY = "greylite23_import";

    private static final Logger LOG = LoggerFactory.getLogger(Greylite23Import.class);

    /** SQLite's DATETIME('now'), which greylite wrote every time with: UTC, to the second. */
    private static final DateTimeFormatter SQLITE_DATETIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss").withResolverStyle(ResolverStyle.STRICT);

    /** What one import did. */
    record Result(int verified, int pending, int expired, int unreadable) {
    }

    private Greylite23Import() {
    }

    /**
     * Whether the file holds greylite 2.3's {@code verified} and {@code pending} tables ({@code tables}: the names of
     * the file's tables), with the columns read here: tables of those names made by something else are left alone.
     */
    static boolean holdsGreyliteTables(Connection conn, Set<String> tables) throws SQLException {
        return namesGreyliteTables(tables)
                && columns(conn, "verified").containsAll(Set.of("ip", "ts"))
                && columns(conn, "pending").containsAll(Set.of("ip", "envsender", "envrecipient", "tsfirstdelivery",
                        "tslastdelivery", "attempts"));
    }

    /** Whether greylite 2.3's two tables are among {@code tables}, by name only: no read. */
    static boolean namesGreyliteTables(Set<String> tables) {
        return tables.contains("verified") && tables.contains("pending");
    }

    private static Set<String> columns(Connection conn, String table) throws SQLException {
        Set<String> names = new HashSet<>();
        try (PreparedStatement st = conn.prepareStatement("SELECT name FROM pragma_table_info(?)")) {
            st.setString(1, table);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1).toLowerCase(Locale.ROOT));
                }
            }
        }
        return names;
    }

    /** Whether the import was done already on this greydb: one read. */
    static boolean done(Connection conn) throws SQLException {
        try (PreparedStatement st = conn.prepareStatement("SELECT 1 FROM greydb_meta WHERE key = ?")) {
            st.setString(1, META_KEY);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Imports greylite's rows and records it, inside the write transaction the caller opened and commits; nothing
     * when it was done already.
     */
    static Result run(Connection conn, GreyliteImportRules rules) throws SQLException {
        if (done(conn)) {
            return new Result(0, 0, 0, 0);
        }
        long now = rules.clock().instant().getEpochSecond();
        Counts counts = new Counts();
        importVerified(conn, rules.settings(), now, counts);
        importPending(conn, rules.settings(), now, counts);
        try (PreparedStatement st = conn.prepareStatement("INSERT INTO greydb_meta (key, value) VALUES (?, ?)")) {
            st.setString(1, META_KEY);
            st.setString(2, Long.toString(now));
            st.executeUpdate();
        }
        return new Result(counts.verified, counts.pending, counts.expired, counts.unreadable);
    }

    /** Logs what an import of {@code greydb}'s greylite tables did. */
    static void report(String greydb, Result r) {
        LOG.info("{}: greylite 2.3's tables imported: {} verified clients now on the auto-whitelist, {} pending triplets"
                + " now pending; skipped {} rows expired by this program's lifetimes and {} rows whose address or time"
                + " cannot be read; greylite's tables are left as they were", greydb, r.verified(), r.pending(),
                r.expired(), r.unreadable());
    }

    private static final class Counts {
        int verified;
        int pending;
        int expired;
        int unreadable;
    }

    private static void importVerified(Connection conn, GreylistSettings s, long now, Counts counts)
            throws SQLException {
        long lifetime = s.whitelistLifetime().getSeconds();
        // An entry of ours under the key is kept as it is, and an administrator's is never made an earned one; two
        // addresses of one network (the key under net) make one entry.
        Set<String> ours = keys(conn, "SELECT client FROM whitelist");
        try (PreparedStatement read = conn.prepareStatement("SELECT ip, ts FROM verified");
                PreparedStatement write = conn.prepareStatement("INSERT INTO whitelist (client, source, created,"
                        + " last_seen) VALUES (?, 'auto', ?, ?) ON CONFLICT (client) DO UPDATE SET"
                        + " created = MIN(whitelist.created, excluded.created),"
                        + " last_seen = MAX(whitelist.last_seen, excluded.last_seen)");
                ResultSet rs = read.executeQuery()) {
            while (rs.next()) {
                InetAddress address = address(rs.getString(1));
                Long ts = time(rs.getString(2), now);
                if (address == null || ts == null) {
                    counts.unreadable++;
                    continue;
                }
                if (ts + lifetime <= now) {
                    counts.expired++;
                    continue;
                }
                String key = s.clientKeys().keyFor(address, "");
                if (ours.contains(key)) {
                    continue;
                }
                write.setString(1, key);
                write.setLong(2, ts);
                write.setLong(3, ts);
                write.executeUpdate();
                counts.verified++;
            }
        }
    }

    private static void importPending(Connection conn, GreylistSettings s, long now, Counts counts)
            throws SQLException {
        long window = s.retryWindow().getSeconds();
        try (PreparedStatement read = conn.prepareStatement("SELECT ip, envsender, envrecipient, tsfirstdelivery,"
                + " tslastdelivery, attempts FROM pending");
                // A triplet of ours under the key is kept; of greylite's rows that meet under one key (addresses of
                // one network under net, senders one once normalised) the first wins.
                PreparedStatement write = conn.prepareStatement("INSERT INTO triplet (client, sender, recipient,"
                        + " refusals, first_seen, last_seen, passed_at) VALUES (?, ?, ?, ?, ?, ?, NULL)"
                        + " ON CONFLICT (client, sender, recipient) DO NOTHING");
                ResultSet rs = read.executeQuery()) {
            while (rs.next()) {
                InetAddress address = address(rs.getString(1));
                String sender = rs.getString(2);
                String recipient = rs.getString(3);
                Long first = time(rs.getString(4), now);
                Long last = time(rs.getString(5), now);
                long attempts = rs.getLong(6);
                boolean noAttempts = rs.wasNull();
                if (address == null || sender == null || recipient == null || recipient.isEmpty() || first == null
                        || last == null || noAttempts || attempts < 1) {
                    counts.unreadable++;
                    continue;
                }
                if (first + window <= now) {
                    counts.expired++;
                    continue;
                }
                write.setString(1, s.clientKeys().keyFor(address, ""));
                write.setString(2, KeyedAddress.sender(sender, s.normalizeSenders()));
                write.setString(3, KeyedAddress.recipient(recipient));
                write.setLong(4, Math.min(attempts, Integer.MAX_VALUE));
                write.setLong(5, first);
                write.setLong(6, Math.max(first, last));
                if (write.executeUpdate() > 0) {
                    counts.pending++;
                }
            }
        }
    }

    private static Set<String> keys(Connection conn, String sql) throws SQLException {
        Set<String> keys = new HashSet<>();
        try (PreparedStatement st = conn.prepareStatement(sql); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        return keys;
    }

    /** The address greylite stored (TCPREMOTEIP's text), or null when it is no IP address. */
    private static InetAddress address(String text) {
        if (text == null) {
            return null;
        }
        try {
            return InetAddresses.forString(text.trim()); // a literal only: never a name looked up
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * A time greylite stored with DATETIME('now'), in Unix seconds, or null when it is not one. A time ahead of
     * {@code now} (the clock set back since) is taken as now, so no row lives longer than its lifetime from today.
     */
    private static Long time(String text, long now) {
        if (text == null) {
            return null;
        }
        try {
            long t = LocalDateTime.parse(text.trim(), SQLITE_DATETIME).toEpochSecond(ZoneOffset.UTC);
            return Math.min(t, now);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
