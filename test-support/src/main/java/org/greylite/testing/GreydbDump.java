package org.greylite.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The rows of an SQLite greydb's triplets and whitelist as text, in a fixed order, so that two greydbs reached
 * by different paths (decisions one at a time, or together in one transaction) can be compared whole. The SQLite
 * driver comes from the test's own classpath.
 */
public final class GreydbDump {

    private GreydbDump() {
    }

    public static String of(Path greydb) throws SQLException {
        StringBuilder out = new StringBuilder();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + greydb); Statement st = c.createStatement()) {
            for (String sql : new String[] {
                    "SELECT client, sender, recipient, refusals, first_seen, last_seen, passed_at FROM triplet ORDER BY 1, 2, 3",
                    "SELECT client, source, last_seen FROM whitelist ORDER BY 1"}) {
                try (ResultSet rs = st.executeQuery(sql)) {
                    while (rs.next()) {
                        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                            out.append(rs.getString(i)).append(' ');
                        }
                        out.append('\n');
                    }
                }
            }
        }
        return out.toString();
    }
}
