package org.greylite.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.io.TempDir;

/** An SQLite greydb an older version wrote, keying IPv6 clients in Java's full text. */
class SqliteOlderIpv6KeysTest extends OlderIpv6KeysTest {

    @TempDir
    Path dir;

    @Override
    GreydbLocation olderGreydb() {
        Path file = dir.resolve("older.db");
        for (String sql : GreydbSchema.statements()) {
            execute(file, sql); // as sqlite3 -init greydb.sql makes it
        }
        return new GreydbLocation.Sqlite(file);
    }

    @Override
    GreydbLocation newGreydb() {
        return new GreydbLocation.Sqlite(dir.resolve("new.db"));
    }

    @Override
    void execute(GreydbLocation greydb, String sql) {
        execute(((GreydbLocation.Sqlite) greydb).file(), sql);
    }

    private static void execute(Path file, String sql) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = 10000");
            st.execute(sql);
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    GreydbOptions options() {
        return new GreydbOptions(Duration.ofSeconds(10), 1, Map.of());
    }
}
