package org.greylite.store;

/** Opens a greydb for administration (greylitectl db ...), wherever it lives. */
public final class GreydbAdmins {

    private GreydbAdmins() {
    }

    /**
     * Opens the greydb, creating its tables when missing.
     *
     * @throws StoreException when it cannot be used; for PostgreSQL also when the server cannot be reached
     */
    public static GreydbAdmin open(GreydbLocation location, GreydbOptions options) {
        if (location instanceof GreydbLocation.Postgres pg) {
            return PostgresGreydbAdmin.open(pg, options);
        }
        return SqliteGreydbAdmin.open(((GreydbLocation.Sqlite) location).file(), options.timeout());
    }

    /** {@link #open(GreydbLocation, GreydbOptions)} of {@link GreydbLocation#parse(String)}. */
    public static GreydbAdmin open(String location, GreydbOptions options) {
        return open(GreydbLocation.parse(location), options);
    }
}
