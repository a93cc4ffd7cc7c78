package org.greylite.store;

/** The greydb could not be read or written. The message says what and where, for the administrator. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
