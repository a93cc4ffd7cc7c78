package org.greylite.ctl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.greylite.store.GreylistStores;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * Whether an SQLite file is a greydb already, looked at without changing it: the commands other than
 * {@code db init} refuse a missing file, or a database without the greydb's tables, rather than make one.
 *
 * <p>Even a read-only look makes SQLite create the {@code -wal} and {@code -shm} files of a WAL database, owned by
 * the user who runs greylitectl; left beside a greydb the programs write as another user, they stop every write
 * (SQLITE_READONLY). So the user's access is checked first, as the store's open checks it, and a command that is
 * refused opens nothing.
 */
final class ExistingGreydb {

    private ExistingGreydb() {
    }

    /**
     * @throws IllegalArgumentException saying what is at {@code file} and what to run instead
     * @throws org.greylite.store.StoreException when this user may not use it (before anything is opened)
     */
    static void check(Path file) {
        there(file);
        if (Files.isDirectory(file)) {
            return; // the store's own open says why
        }
        GreylistStores.checkSqliteAccess(file); // names the file at fault, its owner and mode
        probe(file);
    }

    /**
     * As {@link #check}, for a command that only reads: a user who may not write the greydb is not refused here
     * but told why, for the command to read it read-only.
     *
     * @return why this user may not write the greydb (the store's check's words), or empty when it may
     */
    static java.util.Optional<String> checkForReading(Path file) {
        there(file);
        if (Files.isDirectory(file)) {
            return java.util.Optional.empty();
        }
        try {
            GreylistStores.checkSqliteAccess(file);
        } catch (org.greylite.store.StoreException e) {
            return java.util.Optional.of(e.getMessage()); // nothing opened: the read-only open probes it
        }
        probe(file);
        return java.util.Optional.empty();
    }

    private static void there(Path file) {
        // notExists, not !exists: in a folder this user cannot search, whether the file is there cannot be told
        // (both say false), and "no greydb there" would send the administrator to make one; the store's open
        // then says what is wrong, naming the path and its permissions.
        if (Files.notExists(file)) {
            throw new IllegalArgumentException(file + ": no greydb there (greylitectl db init makes one; the programs"
                    + " make theirs at their first decision)");
        }
    }

    private static void probe(Path file) {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        try (Connection c = DriverManager.getConnection(org.greylite.store.SqliteFileUrl.of(file),
                org.greylite.store.SqliteFileUrl.uris(config).toProperties());
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'triplet'")) {
            if (!r.next()) {
                throw new IllegalArgumentException(file + ": an SQLite database, but not a greydb (it has no triplet"
                        + " table; greylitectl db init adds the greydb's tables)");
            }
        } catch (SQLException e) {
            // Not a database at all, or locked: the store's own open reports it as it always has.
        }
    }
}
