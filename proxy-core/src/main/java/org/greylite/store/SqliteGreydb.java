package org.greylite.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import org.sqlite.SQLiteConfig;

/**
 * Opens a connection to an SQLite greydb the way every part of greylite needs it: the path checked
 * first (errors name the path and the permission), WAL journal, {@code synchronous=NORMAL}, a busy
 * timeout, and the schema of {@code greydb.sql} applied when a table is missing.
 */
final class SqliteGreydb {

    private SqliteGreydb() {
    }

    static Connection open(Path file, Duration busyTimeout) {
        GreydbFile.prepare(file);
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        try {
            Connection conn = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try {
                ensureSchema(conn);
                return conn;
            } catch (SQLException | RuntimeException e) {
                conn.close();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("greydb " + file.toAbsolutePath() + " cannot be opened: " + e.getMessage(), e);
        }
    }

    private static void ensureSchema(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            Set<String> existing = new HashSet<>();
            try (ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
                while (rs.next()) {
                    existing.add(rs.getString(1));
                }
            }
            if (existing.containsAll(GreydbSchema.tables())) {
                return;
            }
            // A new file, or one made by an older version. Several processes may race to create it:
            // one transaction of idempotent statements.
            st.execute("BEGIN IMMEDIATE");
            try {
                for (String sql : GreydbSchema.statements()) {
                    if (!sql.toUpperCase(Locale.ROOT).startsWith("PRAGMA")) {
                        st.execute(sql);
                    }
                }
                st.execute("COMMIT");
            } catch (SQLException e) {
                st.execute("ROLLBACK");
                throw e;
            }
        }
    }
}
