package org.greylite.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Opens the greydb wherever it lives: the one way greylited, the tcpserver wrapper and greylitectl turn
 * {@code --db} / {@code DBFILE} into a {@link GreylistStore} (the engine's) or a {@link GreydbAdmin}.
 */
public final class GreylistStores {

    private GreylistStores() {
    }

    /**
     * An SQLite file is opened (and created when new) now. A PostgreSQL greydb gets a pool of
     * {@link GreydbOptions#connections()} connections; a server that cannot be reached yet is logged and
     * retried, so the caller can start and fail open meanwhile.
     *
     * @throws StoreException when the greydb cannot be used (a path without permission, a wrong password)
     */
    public static GreylistStore open(GreydbLocation location, GreydbOptions options) {
        return new SqlGreylistStore(dialect(location, options, PostgresUse.SERVICE));
    }

    /** {@link #open(GreydbLocation, GreydbOptions)} of {@link GreydbLocation#parse(String)}. */
    public static GreylistStore open(String location, GreydbOptions options) {
        return open(GreydbLocation.parse(location, options.env()), options);
    }

    /**
     * Checks that this user may use the SQLite greydb at {@code file} (its folder, the file, its {@code -wal} and
     * {@code -shm} files), without opening it: for a command that must look into an existing greydb and should
     * leave nothing behind when it is refused.
     *
     * @throws StoreException naming the file at fault, its owner and mode, and the user refused
     */
    public static void checkSqliteAccess(Path file) {
        GreydbFile.checkAccess(file);
    }

    /** The SQLite greydb at {@code file}, created when new; waits for another process's lock at most {@code busyTimeout}. */
    public static GreylistStore sqlite(Path file, Duration busyTimeout) {
        return new SqlGreylistStore(SqliteDialect.open(file, busyTimeout));
    }

    /**
     * As {@link #sqlite(Path, Duration)}, for a program that greylists: greylite 2.3's tables found in the file (its
     * own database given as the greydb) are imported once, keyed by {@code rules}.
     */
    public static GreylistStore sqlite(Path file, Duration busyTimeout, GreyliteImportRules rules) {
        return new SqlGreylistStore(SqliteDialect.open(file, busyTimeout, rules));
    }

    /**
     * Opens the greydb for administration (a command run once), creating its tables when missing. A PostgreSQL
     * server is tried once, straight away: a refusal fails at once, a server that does not answer within a few
     * seconds fails then, and nothing is logged or tried again in the background.
     *
     * @throws StoreException when it cannot be used; for PostgreSQL also when the server cannot be reached
     */
    public static GreydbAdmin admin(GreydbLocation location, GreydbOptions options) {
        return new SqlGreydbAdmin(dialect(location, options, PostgresUse.COMMAND));
    }

    /**
     * As {@link #admin}, for a command that reads or edits a greydb that must exist already: a PostgreSQL database
     * without the greydb's tables is refused instead of given them (an SQLite file is the caller's to check before
     * it is opened, since opening one makes it).
     *
     * @throws StoreException also when the database holds no greydb, saying so
     */
    public static GreydbAdmin existingAdmin(GreydbLocation location, GreydbOptions options) {
        return new SqlGreydbAdmin(dialect(location, options, PostgresUse.EXISTING_GREYDB_COMMAND));
    }

    /**
     * The SQLite greydb at {@code file} for reading only, by a user who may read it but not write it: only its
     * reads work. {@code cannotWrite} is why the usual open refused this user, said first in any refusal.
     *
     * @throws StoreException when SQLite cannot serve this user read-only either, saying what to grant
     */
    public static GreydbAdmin sqliteReader(Path file, Duration busyTimeout, String cannotWrite) {
        return new SqlGreydbAdmin(SqliteDialect.openReadOnly(file, busyTimeout, cannotWrite));
    }

    /** The SQLite greydb at {@code file} for administration. */
    public static GreydbAdmin sqliteAdmin(Path file, Duration busyTimeout) {
        return new SqlGreydbAdmin(SqliteDialect.open(file, busyTimeout));
    }

    /**
     * A greydb that could not be opened at {@code where} (described without a password), failing every
     * operation with {@code why}: the engine answers over it as over a greydb that fails.
     */
    public static GreylistStore unavailable(String where, StoreException why) {
        return new UnavailableStore(where, why);
    }

    private static GreydbDialect dialect(GreydbLocation location, GreydbOptions options, PostgresUse use) {
        if (location instanceof GreydbLocation.Postgres pg) {
            return new PostgresDialect(PostgresGreydb.open(pg, options, use), options);
        }
        return SqliteDialect.open(((GreydbLocation.Sqlite) location).file(), options.timeout(),
                options.greyliteImport());
    }
}
