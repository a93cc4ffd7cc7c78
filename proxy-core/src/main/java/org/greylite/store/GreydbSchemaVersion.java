package org.greylite.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Refuses a greydb whose {@code greydb_meta.schema_version} is newer than the one this greylite's
 * {@code greydb.sql} writes. Such a greydb was written by a newer greylite (an upgrade, then a downgrade): this one
 * would read its rows as its own and write rows of the old form beside them, misreading it and damaging it for the
 * newer one, without a word. Opening it read-only instead was rejected: what the rows mean is just what cannot be
 * told. A greydb without the table or the row (older than schema_version) is this schema's first version.
 */
final class GreydbSchemaVersion {

    private static final Pattern WRITTEN = Pattern.compile("'schema_version'\\s*,\\s*'(\\d+)'");

    private GreydbSchemaVersion() {
    }

    /** The version greydb.sql writes in a greydb it makes. */
    static int known() {
        for (String sql : GreydbSchema.statements()) {
            Matcher m = WRITTEN.matcher(sql);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        throw new IllegalStateException("greydb.sql writes no schema_version");
    }

    /**
     * Checks the greydb open on {@code conn}, whose tables {@code hasMetaTable} says include greydb_meta.
     *
     * @throws SQLException naming the greydb's version and this greylite's, when the greydb's is newer or unreadable
     */
    static void check(Connection conn, boolean hasMetaTable) throws SQLException {
        if (!hasMetaTable) {
            return;
        }
        String stored;
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT value FROM greydb_meta WHERE key = 'schema_version'")) {
            stored = rs.next() ? rs.getString(1) : null;
        }
        if (stored == null) {
            return;
        }
        int known = known();
        long version;
        try {
            version = Long.parseLong(stored.trim());
        } catch (NumberFormatException e) {
            throw new SQLException("its schema_version in greydb_meta is '" + stored + "', not a version this greylite"
                    + " (schema version " + known + ") can read; it was not written by greylite, or is damaged");
        }
        if (version > known) {
            throw new SQLException("it was written by a newer greylite (greydb schema version " + version + "; this"
                    + " greylite knows schema version " + known + " and would misread it). Run the newer greylite"
                    + " again, or move the file away and let this one make a new greydb");
        }
    }
}
