package org.greylite.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks that an SQLite greydb's tables have the columns and primary keys of {@code greydb.sql}. The programs add a missing
 * table themselves, but a table that is there without a column (a greydb made by hand from another schema, a
 * column renamed) used to be opened as it was: every decision then failed on it, so every mail passed
 * ungreylisted (fail open) with an error naming only the column, and greylitectl failed command by command.
 * Refusing it when it is opened names the table, the columns and the way out once.
 */
final class GreydbColumns {

    /** The columns of each table of greydb.sql, read from a database made in memory by the schema itself. */
    private static volatile Map<String, Set<String>> expected;
    private static volatile Map<String, List<String>> expectedKeys;
    /** greydb.sql's CREATE TABLE statements by table, normalized (see {@link #madeBySchema}). */
    private static volatile Map<String, String> declared;

    private GreydbColumns() {
    }

    /**
     * @throws SQLException naming each table of the schema that lacks columns, and those columns
     */
    static void check(Connection conn) throws SQLException {
        if (madeBySchema(conn)) {
            return;
        }
        String missing = lacking(columns(conn), keys(conn));
        if (!missing.isEmpty()) {
            throw new SQLException(missing + ": the greydb was not made by greydb.sql. Make the tables as greydb.sql"
                    + " declares them, or move the file away and let the programs make a new greydb (its rows cannot"
                    + " be used as they are)");
        }
    }

    /**
     * What the tables {@code found} (columns by table, in lower case) and their primary keys ({@code foundKeys}, in
     * key order) lack of greydb.sql's, as {@code "table triplet has no column recipient; table whitelist has no
     * primary key where greydb.sql's is (client)"}; empty when nothing. A table that is not there lacks nothing:
     * the schema creates it. Shared by SQLite and PostgreSQL, whose greydbs have the same columns and keys.
     */
    static String lacking(Map<String, Set<String>> found, Map<String, List<String>> foundKeys) throws SQLException {
        StringBuilder missing = new StringBuilder();
        for (Map.Entry<String, Set<String>> table : expected().entrySet()) {
            Set<String> has = found.get(table.getKey());
            if (has == null) {
                continue; // a table that is not there at all is created by the schema, as for an older greydb
            }
            Set<String> lacking = new TreeSet<>(table.getValue());
            lacking.removeAll(has);
            if (!lacking.isEmpty()) {
                missing.append(missing.length() == 0 ? "" : "; ").append("table ").append(table.getKey())
                        .append(" has no column ").append(String.join(", ", lacking));
            }
        }
        // The writes are upserts (ON CONFLICT on the primary key): a table without greydb.sql's key fails them all.
        for (Map.Entry<String, List<String>> key : expectedKeys().entrySet()) {
            List<String> has = foundKeys.getOrDefault(key.getKey(), List.of());
            if (found.containsKey(key.getKey()) && !has.equals(key.getValue())) {
                missing.append(missing.length() == 0 ? "" : "; ").append("table ").append(key.getKey())
                        .append(has.isEmpty() ? " has no primary key" : " has the primary key (" + String.join(", ", has)
                                + ")").append(" where greydb.sql's is (").append(String.join(", ", key.getValue()))
                        .append(")");
            }
        }
        return missing.toString();
    }

    /**
     * Whether every table of greydb.sql is there as greydb.sql declares it, from the text SQLite keeps of each
     * table's CREATE statement, without its comments and with its white space made single (the programs apply the
     * schema without comments, {@code sqlite3 -init greydb.sql} with them). The usual case, and one read: the
     * wrapper opens the greydb in every session, and the full check below makes a database in memory from the
     * schema first, milliseconds a connection would pay at its first RCPT. Any other text (an older greydb whose
     * table gained a column since, a greydb made by hand) gets the full check.
     */
    static boolean madeBySchema(Connection conn) throws SQLException {
        Map<String, String> stored = new TreeMap<>();
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT name, sql FROM sqlite_master WHERE type = 'table'")) {
            while (rs.next()) {
                stored.put(rs.getString(1).toLowerCase(Locale.ROOT), rs.getString(2));
            }
        }
        Map<String, String> declared = declared();
        for (Map.Entry<String, String> table : declared.entrySet()) {
            String sql = stored.get(table.getKey());
            if (sql == null || !table.getValue().equals(normalized(sql))) {
                return false;
            }
        }
        return true;
    }

    /** greydb.sql's CREATE TABLE statements by table, normalized as SQLite keeps them (no IF NOT EXISTS). */
    private static Map<String, String> declared() {
        Map<String, String> d = declared;
        if (d == null) {
            d = new TreeMap<>();
            String prefix = "CREATE TABLE IF NOT EXISTS ";
            for (String create : GreydbSchema.statements()) {
                if (create.startsWith(prefix)) {
                    String rest = create.substring(prefix.length());
                    int end = 0;
                    while (end < rest.length() && (Character.isLetterOrDigit(rest.charAt(end)) || rest.charAt(end) == '_')) {
                        end++;
                    }
                    d.put(rest.substring(0, end).toLowerCase(Locale.ROOT), normalized("CREATE TABLE " + rest));
                }
            }
            declared = d;
        }
        return d;
    }

    /**
     * {@code sql} without {@code --} comments (greydb.sql holds none in its strings), each run of white space one
     * space, none just inside a parenthesis, trimmed.
     */
    static String normalized(String sql) {
        StringBuilder out = new StringBuilder(sql.length());
        boolean space = false;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') {
                while (i < sql.length() && sql.charAt(i) != '\n') {
                    i++;
                }
                space = true;
            } else if (Character.isWhitespace(c)) {
                space = true;
            } else {
                if (space && out.length() > 0 && out.charAt(out.length() - 1) != '(' && c != ')') {
                    out.append(' ');
                }
                space = false;
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The primary key of each table of greydb.sql, in the schema's order. */
    private static Map<String, List<String>> expectedKeys() throws SQLException {
        expected();
        return expectedKeys;
    }

    /** The primary key columns of every table, in their order in the key, in lower case. */
    private static Map<String, List<String>> keys(Connection conn) throws SQLException {
        Map<String, List<String>> out = new TreeMap<>();
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT m.name, p.name FROM sqlite_master AS m,"
                     + " pragma_table_info(m.name) AS p WHERE m.type = 'table' AND p.pk > 0 ORDER BY m.name, p.pk")) {
            while (rs.next()) {
                out.computeIfAbsent(rs.getString(1).toLowerCase(Locale.ROOT), t -> new ArrayList<>())
                        .add(rs.getString(2).toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    private static Map<String, Set<String>> expected() throws SQLException {
        Map<String, Set<String>> e = expected;
        if (e == null) {
            try (Connection mem = reference()) { // one database in memory for both, once per process
                e = columns(mem);
                expectedKeys = keys(mem);
            }
            expected = e;
        }
        return e;
    }

    /** A database in memory made by greydb.sql: what a greydb's tables must be like. */
    private static Connection reference() throws SQLException {
        Connection mem = DriverManager.getConnection("jdbc:sqlite::memory:");
        try (Statement st = mem.createStatement()) {
            for (String sql : GreydbSchema.statements()) {
                if (!sql.toUpperCase(Locale.ROOT).startsWith("PRAGMA")) {
                    st.execute(sql);
                }
            }
        } catch (SQLException e) {
            mem.close();
            throw e;
        }
        return mem;
    }

    /** The columns of every table, in lower case (SQLite's names are case-insensitive). */
    private static Map<String, Set<String>> columns(Connection conn) throws SQLException {
        Map<String, Set<String>> out = new TreeMap<>();
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT m.name, p.name FROM sqlite_master AS m,"
                     + " pragma_table_info(m.name) AS p WHERE m.type = 'table'")) {
            while (rs.next()) {
                out.computeIfAbsent(rs.getString(1).toLowerCase(Locale.ROOT), t -> new TreeSet<>())
                        .add(rs.getString(2).toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }
}
