package org.greylite.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * Opens a connection to an SQLite greydb the way every part of greylite needs it: the path checked
 * first (errors name the path and the permission), WAL journal, {@code synchronous=NORMAL}, a busy
 * timeout, and the schema of {@code greydb.sql} applied when a table is missing; a missing file is
 * created race-free, however many processes open it at once. A greydb an older version wrote gets its IPv6
 * client keys rewritten once ({@link Ipv6KeyMigration}); greylite 2.3's own database gets its rows imported once
 * ({@link Greylite23Import}), when the program opening it says how to key them.
 */
final class SqliteGreydb {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteGreydb.class);

    /**
     * The size in bytes the {@code -wal} file is cut back to when SQLite starts it over (journal_size_limit). SQLite
     * otherwise keeps the file at the largest size it ever reached, and reuses it, until the last connection closes:
     * a log grown behind a long reader (greylitectl db list or db stats on a large greydb, a backup: SQLite cannot
     * start the log over while one reads) stayed that size for as long as greylited ran, here 1.7 GB beside a greydb
     * of 280 MB after a reader of 30 s, the policy service deciding 7,800 requests a second. 64 MB is well above
     * what the log reaches between two automatic checkpoints (1,000 pages, 4 MB), so the file is not cut back and
     * grown again in ordinary work.
     */
    static final int WAL_SIZE_LIMIT = 64 * 1024 * 1024;

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * A new greydb's mode before the umask: read and write for its owner and group, nothing for other users, whatever
     * the umask leaves them. It holds the address of everyone who mailed here and whom they wrote to; under the usual
     * umask of 022 it was made 0644, readable by every local user. SQLite gives its -wal and -shm the file's mode.
     */
    private static final FileAttribute<Set<PosixFilePermission>> NOT_FOR_OTHERS =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-rw----"));

    /** SQLite's primary result code for a lock another connection held past the busy timeout. */
    private static final int SQLITE_BUSY = 5;

    private SqliteGreydb() {
    }

    /** Opens the greydb without importing greylite 2.3's tables (see {@link #open(Path, Duration, GreyliteImportRules)}). */
    static Connection open(Path file, Duration busyTimeout) {
        return open(file, busyTimeout, null);
    }

    /**
     * Opens (and if new, creates) the greydb at {@code file}; with {@code rules}, greylite 2.3's tables found in the
     * file are imported (once per file), keyed by them; without, they are left for a program that has rules.
     */
    static Connection open(Path file, Duration busyTimeout, GreyliteImportRules rules) {
        refuseAnotherUsersLinkAsRoot(file);
        GreydbFile.prepare(file);
        createIfMissing(file, busyTimeout);
        return connect(file, busyTimeout, rules);
    }

    /**
     * Creates a missing greydb without a race: the schema goes into a file of this process's own, switched
     * to WAL and closed, which is then published under the real name with link(2), atomic and failing when
     * another process published first (its file is then used). Without this, many processes (the wrapper
     * runs once per connection) creating and converting the same new file at once occasionally failed a
     * decision (SQLITE_BUSY at BEGIN IMMEDIATE, "no such table"; seen with 50 sessions on a new file). Made by
     * root in a folder of another user, the file is that user's before it is published ({@link FolderOwner}). Any
     * problem here is left to the ordinary open, which reports it.
     */
    private static void createIfMissing(Path file, Duration busyTimeout) {
        if (Files.exists(file)) {
            return;
        }
        Path abs = GreydbFile.realFile(file.toAbsolutePath()); // a link's target: where SQLite would make it
        Path leftWal = Path.of(abs + "-wal");
        if (Files.exists(leftWal)) {
            // The -wal of a greydb deleted without it (after a crash or a kill -9, its last changes not yet copied into
            // the file): published beside it, a greydb made here was read through the deleted file's pages, rows of
            // it back and its tables' pages pointing at pages the new file has not, "database disk image is
            // malformed" at once. SQLite removes the -wal of a database file it finds empty, so the file is left for
            // SQLite to make; processes racing to create it may then see a decision fail, once.
            LOG.warn("greydb {} is not there but {} is, left by the deleted greydb; the new greydb is made without it",
                    abs, leftWal);
            createEmptyNotForOthers(abs);
            return;
        }
        // A name nobody can guess, made by this process alone (O_EXCL: a link already at the name is not followed):
        // run as root in a folder another user owns, SQLite would otherwise create, and FolderOwner give that user,
        // whatever file a link they planted at a predictable name points to.
        Path own = abs.resolveSibling(abs.getFileName() + ".new-" + ProcessHandle.current().pid() + "-"
                + Long.toUnsignedString(RANDOM.nextLong(), 36));
        try {
            Files.createFile(own, NOT_FOR_OTHERS);
            connect(own, busyTimeout, null).close(); // a file of our own holds no greylite tables
            FolderOwner.adopt(own); // made by root in the programs' folder: theirs, before anyone sees it
            Files.createLink(abs, own);
        } catch (FileAlreadyExistsException e) {
            // another process published its greydb first: use that one
        } catch (IOException | SQLException | RuntimeException e) {
            LOG.debug("creating {} through {} failed ({}); opening it directly", abs, own, e.toString());
            createEmptyNotForOthers(abs);
        } finally {
            for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
                try {
                    Files.deleteIfExists(Path.of(own + suffix));
                } catch (IOException ignored) {
                    // a leftover file of our own name, nothing else depends on it
                }
            }
        }
    }

    /**
     * Where the greydb is left for SQLite to make (a {@code -wal} left beside it, a file system without hard links):
     * the empty file made first, with the mode a new greydb has, SQLite making it otherwise {@code 644} under the usual
     * umask. An empty file is what SQLite makes too, and it removes a {@code -wal} it finds beside an empty one. A file
     * there already (another process made it meanwhile) is left as it is; any other problem is the open's to report.
     */
    private static void createEmptyNotForOthers(Path abs) {
        try {
            Files.createFile(abs, NOT_FOR_OTHERS); // O_EXCL: never through a link planted at the name
        } catch (FileAlreadyExistsException e) {
            // another process made it meanwhile: theirs is used, with the mode it was made with
        } catch (IOException | UnsupportedOperationException e) {
            // A folder not writable, a file system without POSIX modes: SQLite's open, which follows, makes it or
            // says why it cannot, naming the file.
            LOG.debug("{} not made ahead of SQLite ({}); SQLite makes it", abs, e.toString());
        }
    }

    /**
     * Run as root, a greydb is not opened through a link another user owns: that user (the programs' user, who owns
     * their folder) could point it at any file, and root would create it (its folders too), or write SQLite's pages
     * into it (a journal planted beside the link is rolled back into the file it points to). The kernel's
     * protected_symlinks guards only sticky folders such as /tmp.
     */
    private static void refuseAnotherUsersLinkAsRoot(Path file) {
        try {
            if (!Files.isSymbolicLink(file) || !"root".equals(System.getProperty("user.name"))) {
                return;
            }
            int owner = (int) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != 0) {
                throw new StoreException("greydb " + file + " is a symbolic link of another user (uid " + owner
                        + "): run as root, greylite opens no greydb through another user's link (that user could point"
                        + " it at any file). Name the file it leads to, run as that user (runuser -u USER -- ...), or"
                        + " make the link root's");
            }
        } catch (UnsupportedOperationException e) {
            // a file system without owners: no other user's link to refuse
        } catch (IOException e) {
            // A link whose owner cannot be read is not followed either: refused, as one of another user's would be.
            throw new StoreException("greydb " + file + " is a symbolic link whose owner cannot be read (" + e
                    + "): run as root, greylite opens no greydb through a link it cannot tell is root's", e);
        }
    }

    private static Connection connect(Path file, Duration busyTimeout, GreyliteImportRules rules) {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setJournalSizeLimit(WAL_SIZE_LIMIT);
        // The driver otherwise runs a statement of its own ("SELECT last_insert_rowid()", prepared anew) after
        // every INSERT, for JDBC's generated keys: the greydb's tables have no row ids, and nothing reads them.
        config.setGetGeneratedKeys(false);
        try {
            Connection conn = SqliteFileUrl.uris(config).createConnection(SqliteFileUrl.of(file));
            try {
                ensureSchema(conn, file, rules);
                GreydbColumns.check(conn);
                writeAheadLog(conn);
                rewriteOldIpv6Keys(conn, file);
                return conn;
            } catch (SQLException | RuntimeException e) {
                conn.close();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("greydb " + file.toAbsolutePath() + " cannot be opened: " + e.getMessage()
                    + ((e.getErrorCode() & 0xff) == SQLITE_BUSY ? "; another process kept it locked for the whole busy"
                            + " timeout (" + busyTimeout.toMillis() + " ms): an sqlite3 session or a backup holding it?"
                            : "")
                    + FullFileSystem.of(file).map(full -> "; " + full).orElse("")
                    + DamagedGreydb.advice(file, e).map(damaged -> "; " + damaged).orElse(""), e);
        }
    }

    /**
     * Switches the file to WAL, the greydb's journal mode, once it is known to be a greydb: set when the connection
     * opened, the switch was made before the checks, and a file they then refused (another program's tables, a newer
     * greylite's greydb) was left converted. A file in WAL already is left as it is (one read).
     */
    private static void writeAheadLog(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet mode = st.executeQuery("PRAGMA journal_mode")) {
            if (mode.next() && "wal".equalsIgnoreCase(mode.getString(1))) {
                return;
            }
        }
        try (Statement st = conn.createStatement()) {
            st.execute("PRAGMA journal_mode = WAL"); // its answer not read, as when the driver set it at the open
        }
    }

    /**
     * Runs {@link Ipv6KeyMigration} unless it is done already (one read, the usual case), under the write lock, so
     * that of the processes opening an older greydb at once one rewrites it and the others find it done.
     */
    private static void rewriteOldIpv6Keys(Connection conn, Path file) throws SQLException {
        if (Ipv6KeyMigration.done(conn)) {
            return;
        }
        Ipv6KeyMigration.Result done;
        try (Statement st = conn.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            try {
                done = Ipv6KeyMigration.run(conn);
                st.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                st.execute("ROLLBACK");
                throw e;
            }
        }
        Ipv6KeyMigration.report("sqlite:" + file.toAbsolutePath(), done);
    }

    private static void ensureSchema(Connection conn, Path file, GreyliteImportRules rules) throws SQLException {
        try (Statement st = conn.createStatement()) {
            Set<String> existing = new HashSet<>();
            try (ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
                while (rs.next()) {
                    existing.add(rs.getString(1));
                }
            }
            // Before anything is added: a newer greylite's greydb is not to be given this one's tables.
            GreydbSchemaVersion.check(conn, existing.contains("greydb_meta"));
            boolean schemaComplete = existing.containsAll(GreydbSchema.tables());
            // greylite 2.3's database: its rows are imported once, by the first program that knows how to key them.
            // The one read of the usual open first; the tables' columns only while the import is still to do.
            boolean importGreylite = rules != null && Greylite23Import.namesGreyliteTables(existing)
                    && !(schemaComplete && Greylite23Import.done(conn))
                    && Greylite23Import.holdsGreyliteTables(conn, existing);
            if (schemaComplete && !importGreylite) {
                return;
            }
            if (existing.stream().anyMatch(GreydbSchema.tables()::contains)) {
                // A greydb's table made by hand without a column, or another program's table of the same name, is
                // named as such before anything is added to the file (not met as a failed import, nor given the
                // greydb's other tables).
                GreydbColumns.check(conn);
            }
            // A new file, one made by an older version, or greylite's. Several processes may race to create it:
            // one transaction of idempotent statements, with the import, so no process sees the tables without the
            // imported rows (and greylisted an imported client meanwhile) and only one imports.
            Greylite23Import.Result imported = null;
            st.execute("BEGIN IMMEDIATE");
            try {
                for (String sql : GreydbSchema.statements()) {
                    if (!sql.toUpperCase(Locale.ROOT).startsWith("PRAGMA")) {
                        st.execute(sql);
                    }
                }
                if (importGreylite && !Greylite23Import.done(conn)) {
                    imported = Greylite23Import.run(conn, rules);
                }
                st.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                st.execute("ROLLBACK");
                throw e;
            }
            if (imported != null) {
                Greylite23Import.report("sqlite:" + file.toAbsolutePath(), imported);
            }
        }
    }
}
