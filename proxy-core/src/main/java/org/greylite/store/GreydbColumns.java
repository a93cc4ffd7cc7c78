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

    private GreydbColumns() {
    }

    /**
     * @throws SQLException naming each table of the schema that lacks columns, and those columns
     */
    static void check(Connection conn) throws SQLException {
        Map<String, Set<String>> found = columns(conn);
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
        Map<String, List<String>> foundKeys = keys(conn);
        for (Map.Entry<String, List<String>> key : expectedKeys().entrySet()) {
            List<String> has = foundKeys.getOrDefault(key.getKey(), List.of());
            if (found.containsKey(key.getKey()) && !has.equals(key.getValue())) {
                missing.append(missing.length() == 0 ? "" : "; ").append("table ").append(key.getKey())
                        .append(has.isEmpty() ? " has no primary key" : " has the primary key (" + String.join(", ", has)
                                + ")").append(" where greydb.sql's is (").append(String.join(", ", key.getValue()))
                        .append(")");
            }
        }
        if (missing.length() > 0) {
            throw new SQLException(missing + ": the greydb was not made by greydb.sql. Make the tables as greydb.sql"
                    + " declares them, or move the file away and let the programs make a new greydb (its rows cannot"
                    + " be used as they are)");
        }
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
