package org.greylite.store;

/** The greydb could not be read or written. The message says what and where, for the administrator. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }

    /**
     * Whether SQLite found the greydb file damaged (a page it could not read: a copy cut short, a block overwritten),
     * as opposed to unreachable, locked, or not a database at all.
     */
    public boolean damagedFile() {
        for (Throwable c = getCause(); c != null; c = c.getCause()) {
            if (c instanceof java.sql.SQLException sql && DamagedGreydb.isCorrupt(sql)) {
                return true;
            }
        }
        return false;
    }
}
