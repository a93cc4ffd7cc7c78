package org.greylite.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks that a PostgreSQL greydb's tables have the columns and primary keys of {@code greydb-postgresql.sql} (those
 * of {@code greydb.sql}), as {@link GreydbColumns} checks an SQLite greydb's. The schema's statements make a table
 * only when it is missing, so a table made by hand (restored without its constraints, copied from another schema)
 * was used as it was: without its primary key every upsert failed and every mail passed ungreylisted, and without
 * a column the start failed on whichever statement met it first, with the server's words and a "Position:" line.
 */
final class PostgresColumns {

    /**
     * The greydb's tables in the schema they are looked for in, with their columns and where each stands in the
     * primary key (0: not in it); one query of the catalogue, since the tcpserver wrapper asks it in every session.
     */
    private static final String CATALOGUE = "SELECT c.relname, a.attname,"
            // indkey counts from 0: the position made to count from 1, 0 for a column outside the key
            + " COALESCE(array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1) + 1, 0)"
            + " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            + " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
            + " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
            + " AND c.relname = ANY (?::text[])"
            + " ORDER BY 1, 3";

    private PostgresColumns() {
    }

    /**
     * @return what the tables lack ({@link GreydbColumns#lacking}), empty when nothing
     */
    static String lacking(Connection conn, Set<String> tables) throws SQLException {
        Map<String, Set<String>> columns = new TreeMap<>();
        Map<String, List<String>> keys = new TreeMap<>();
        try (PreparedStatement ps = conn.prepareStatement(CATALOGUE)) {
            ps.setArray(1, conn.createArrayOf("text", tables.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String table = rs.getString(1).toLowerCase(Locale.ROOT);
                    String column = rs.getString(2).toLowerCase(Locale.ROOT);
                    columns.computeIfAbsent(table, t -> new TreeSet<>()).add(column);
                    if (rs.getInt(3) > 0) {
                        keys.computeIfAbsent(table, t -> new ArrayList<>()).add(column); // in key order (ORDER BY)
                    }
                }
            }
        }
        conn.commit();
        return GreydbColumns.lacking(columns, keys);
    }
}
