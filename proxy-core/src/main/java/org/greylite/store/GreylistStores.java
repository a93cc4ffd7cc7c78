package org.greylite.store;

/**
 * Opens the engine's greydb wherever it lives: the one way greylited and the tcpserver wrapper turn
 * {@code --db} / {@code DBFILE} into a {@link GreylistStore}.
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
        if (location instanceof GreydbLocation.Postgres pg) {
            return PostgresGreylistStore.open(pg, options);
        }
        return SqliteGreylistStore.open(((GreydbLocation.Sqlite) location).file(), options.timeout());
    }

    /** {@link #open(GreydbLocation, GreydbOptions)} of {@link GreydbLocation#parse(String)}. */
    public static GreylistStore open(String location, GreydbOptions options) {
        return open(GreydbLocation.parse(location), options);
    }
}
