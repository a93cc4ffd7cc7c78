package org.greylite.connect;

/** An access file line that cannot be loaded; the message says why, for the administrator. */
final class RejectedLine extends Exception {
    private static final long serialVersionUID = 1L;
    /** False for a rule tcprules accepts but greylited cannot use. */
    final boolean malformed;

    RejectedLine(String message) {
        this(message, true);
    }

    RejectedLine(String message, boolean malformed) {
        super(message);
        this.malformed = malformed;
    }

    /** A rejected line is an answer about the file, not a fault of the program: no stack trace to fill. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
