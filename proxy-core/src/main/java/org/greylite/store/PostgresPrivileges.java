package org.greylite.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What the role a program connects as may not do on the greydb's tables, asked of PostgreSQL
 * ({@code has_table_privilege}) of the tables that are there, before anything reads them.
 *
 * <p>A program that decides writes at every RCPT. A role that may only read (a monitoring role's credentials
 * copied into the wrong file, grants forgotten for a new table) let greylited start and fail open at every RCPT,
 * every mail passing ungreylisted with one error line per outage; so it is refused at start, as a wrong password
 * is. greylitectl's commands are asked for SELECT only: a role that may only read serves {@code db list} and
 * {@code db stats}, and a refused change names the table the server refused.
 */
final class PostgresPrivileges {

    /** What a deciding program does to each table: the grant examples/two-mx/create-greydb.sql gives. */
    static final List<String> NEEDED = List.of("SELECT", "INSERT", "UPDATE", "DELETE");

    private PostgresPrivileges() {
    }

    /**
     * The {@code privileges} the connected role lacks on {@code tables}, in a stable order, tables that lack the same
     * ones together ({@code "INSERT, UPDATE, DELETE on blacklist, triplet"}); empty when it has them all. One
     * query, since the tcpserver wrapper asks it in every session's process. Each privilege is asked on its own:
     * given several, {@code has_table_privilege} says whether any one is held.
     */
    static List<String> missing(Connection conn, Iterable<String> tables, List<String> privileges) throws SQLException {
        Map<String, List<String>> lackingByTable = new LinkedHashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT t, p FROM unnest(?::text[]) AS t"
                + " CROSS JOIN unnest(?::text[]) WITH ORDINALITY AS n(p, i)"
                + " WHERE NOT has_table_privilege(t, p) ORDER BY t, i")) {
            ps.setArray(1, conn.createArrayOf("text", new TreeSet<String>(asList(tables)).toArray()));
            ps.setArray(2, conn.createArrayOf("text", privileges.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lackingByTable.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
                }
            }
        }
        conn.commit();
        Map<String, List<String>> tablesByLacking = new LinkedHashMap<>(); // "INSERT, UPDATE" -> its tables
        lackingByTable.forEach((table, lacking) ->
                tablesByLacking.computeIfAbsent(String.join(", ", lacking), k -> new ArrayList<>()).add(table));
        List<String> out = new ArrayList<>();
        tablesByLacking.forEach((lacking, on) -> out.add(lacking + " on " + String.join(", ", on)));
        return out;
    }

    private static List<String> asList(Iterable<String> tables) {
        List<String> out = new ArrayList<>();
        tables.forEach(out::add);
        return out;
    }
}
