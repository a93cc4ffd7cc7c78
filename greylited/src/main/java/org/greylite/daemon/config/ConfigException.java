package org.greylite.daemon.config;

/** A configuration file that cannot be used; the message starts with {@code FILE:LINE:} where there is a line to blame. */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
