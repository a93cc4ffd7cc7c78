package org.greylite.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * Opens an SQLite greydb for reading by a user who may read it but not write it (a monitoring account in the greydb's
 * group, the file mode 640, its folder not writable): greylitectl's {@code db list} and {@code db stats}. The usual
 * open needs write access, since SQLite makes the {@code -wal} and {@code -shm} files beside a WAL database for every
 * connection, and the store's checks refuse it beforehand.
 *
 * <p>SQLite can still serve such a reader in two cases, and this open nothing else, so that it never creates a file
 * beside the greydb (one owned by this user would stop the programs' writes):
 * <ul>
 * <li>the {@code -wal} and {@code -shm} files are there (a program has the greydb open) and readable: a read-only
 * connection reads through them, changes not yet copied into the file included;</li>
 * <li>neither is there (nothing has the greydb open; the last connection to close copied the log into the file and
 * removed both): the file is opened as immutable, which makes no {@code -shm}. A program that starts writing while
 * the command reads writes into its new {@code -wal} first, so the file changes under the reader only at that log's
 * first checkpoint (1,000 pages); a command caught by one fails, and run again reads through the log.</li>
 * </ul>
 * A {@code -wal} without its {@code -shm} (left by a crash) holds changes only a writer can recover: that case, an
 * unreadable {@code -shm}, and a file this user may not read are refused, saying what to grant.
 */
final class SqliteReadOnlyGreydb {

    private SqliteReadOnlyGreydb() {
    }

    /**
     * @param cannotWrite why this user may not open it the usual way, said first in every refusal
     * @throws StoreException when SQLite cannot serve this user read-only, saying what to grant
     */
    static Connection open(Path file, Duration busyTimeout, String cannotWrite) {
        Path abs = file.toAbsolutePath();
        Path real = GreydbFile.realFile(abs);
        Path wal = Path.of(real + "-wal");
        Path shm = Path.of(real + "-shm");
        String grant = "; give user '" + GreydbFile.user() + "' write permission as said, or run the command as the"
                + " user the programs run as";
        if (!Files.isReadable(real)) {
            throw new StoreException(cannotWrite + "; nor can it be read (" + GreydbFile.describe(real) + ")" + grant);
        }
        boolean walThere = Files.exists(wal);
        boolean shmThere = Files.exists(shm);
        if (shmThere && !Files.isReadable(shm)) {
            throw new StoreException(cannotWrite + "; nor can it be read, as SQLite reads a greydb in use through its "
                    + shm + ", which user '" + GreydbFile.user() + "' may not read (" + GreydbFile.describe(shm)
                    + "); give the greydb's -shm file the group and mode of the greydb" + grant);
        }
        if (walThere != shmThere) {
            throw new StoreException(cannotWrite + "; nor can it be read: " + (walThere ? wal : shm) + " is there"
                    + " without " + (walThere ? shm : wal) + " (a program stopped without closing the greydb), and only"
                    + " a user who may write it can bring the greydb back in order; run a program that uses it, or"
                    + " this command as the user the programs run as");
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
        String url = SqliteFileUrl.of(abs, walThere ? "mode=ro" : "immutable=1");
        config.setOpenMode(SQLiteOpenMode.OPEN_URI);
        try {
            Connection conn = config.createConnection(url);
            try {
                // The tables first: the version is read from greydb_meta, which a greydb of an older version lacks,
                // and was refused with SQLite's "no such table: greydb_meta" instead of the tables to add and who can.
                refuseMissingTables(conn, abs);
                GreydbSchemaVersion.check(conn, true);
                GreydbColumns.check(conn);
                return conn;
            } catch (SQLException | RuntimeException e) {
                conn.close();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException(cannotWrite + "; reading it read-only failed too: " + e.getMessage() + grant, e);
        }
    }

    /** The usual open adds a table the greydb lacks (one an older version did not make); a reader cannot. */
    private static void refuseMissingTables(Connection conn, Path abs) throws SQLException {
        java.util.Set<String> missing = new java.util.TreeSet<>(GreydbSchema.tables());
        try (java.sql.Statement st = conn.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
            while (rs.next()) {
                missing.remove(rs.getString(1));
            }
        }
        if (!missing.isEmpty()) {
            throw new SQLException(abs + " has no table " + String.join(", ", missing) + ", which a program that may"
                    + " write it adds when it opens it");
        }
    }
}
