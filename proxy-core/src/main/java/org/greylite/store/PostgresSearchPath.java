package org.greylite.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Why a role has no schema to find the greydb's tables in. PostgreSQL leaves out of a session's search path the
 * schemas that do not exist and those the role may not use (no USAGE: {@code REVOKE ALL ON SCHEMA public FROM PUBLIC},
 * as hardened setups do), and {@code current_schema()} is then null. The role was told the greydb was "not a greydb",
 * or stopped on the server's "no schema has been selected to create in", naming neither the schema nor the grant.
 */
final class PostgresSearchPath {

    private PostgresSearchPath() {
    }

    /**
     * Checks that the session has a schema to find and make the tables in.
     *
     * @param greydb the greydb as messages name it
     * @throws StoreException naming the schemas the role may not use and the grant, or saying that none exists
     */
    static void requireSchema(Connection conn, String greydb, String role) throws SQLException {
        String searchPath;
        String user;
        String database;
        String source;
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_schema(), current_setting('search_path'), current_user,"
                     + " current_database(), (SELECT source FROM pg_settings WHERE name = 'search_path')")) {
            rs.next();
            if (rs.getString(1) != null) {
                conn.commit();
                return;
            }
            searchPath = rs.getString(2);
            user = rs.getString(3);
            database = rs.getString(4);
            source = rs.getString(5);
        }
        List<String> unusable = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT nspname FROM pg_namespace WHERE nspname = ANY (?::text[])"
                + " AND NOT has_schema_privilege(oid, 'USAGE') ORDER BY array_position(?::text[], nspname::text)")) {
            Object[] names = names(searchPath, user).toArray();
            ps.setArray(1, conn.createArrayOf("text", names));
            ps.setArray(2, conn.createArrayOf("text", names));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    unusable.add(rs.getString(1));
                }
            }
        }
        conn.commit();
        String quotedRole = "\"" + role.replace("\"", "\"\"") + "\"";
        if (!unusable.isEmpty()) {
            String schema = unusable.get(0);
            throw new StoreException(greydb + ": role " + role + " may not use schema " + schema + " (no USAGE on it),"
                    + " where its search_path looks for the greydb's tables. As the schema's owner: GRANT USAGE ON SCHEMA "
                    + schema + " TO " + quotedRole);
        }
        throw new StoreException(greydb + ": no schema of role " + role + "'s search_path (" + searchPath + ") exists,"
                + " so the greydb's tables have no schema to be in: create one, or name one that exists "
                + whereToName(source, quotedRole, "\"" + database.replace("\"", "\"\"") + "\""));
    }

    /**
     * Where to name a schema that exists, by where the session's search_path was set ({@code pg_settings.source}):
     * a role's setting is not what a database's, a connection's {@code options} or postgresql.conf's is, and advised
     * to change the role's, an administrator whose URL set it saw nothing change (the connection's setting wins).
     */
    private static String whereToName(String source, String quotedRole, String quotedDatabase) {
        return switch (source == null ? "" : source) {
            case "client" -> "in the connection's options, where it is set (the greydb URL's options=-c search_path=..."
                    + ", or PGOPTIONS), or leave it out there";
            case "database" -> "(ALTER DATABASE " + quotedDatabase + " SET search_path = public)";
            case "database user" -> "(ALTER ROLE " + quotedRole + " IN DATABASE " + quotedDatabase
                    + " SET search_path = public)";
            case "configuration file" -> "in postgresql.conf's search_path, where it is set";
            default -> "(ALTER ROLE " + quotedRole + " SET search_path = public)";
        };
    }

    /** The schema names of a search_path setting, {@code "$user"} read as the role's name, quotes taken off. */
    private static List<String> names(String searchPath, String user) {
        List<String> out = new ArrayList<>();
        for (String item : searchPath.split(",")) {
            String name = item.trim();
            if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
                name = name.substring(1, name.length() - 1).replace("\"\"", "\"");
            }
            out.add(name.equals("$user") ? user : name);
        }
        return out;
    }
}
