package org.greylite.config;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.greylite.store.StoreException;

/**
 * How the long-running programs (greylited, greylite-policy, greydaemon) end when they cannot start, as
 * daemontools and systemd read it: {@link #CONFIGURATION} (2) for a setting that cannot be used, which only the
 * administrator can fix, so the systemd units stop restarting ({@code RestartPreventExitStatus=2});
 * {@link #CANNOT_START} (111, qmail's "temporary failure") for a start that failed for now: a port taken, an
 * address not yet up, a greydb that cannot be opened, a host name that does not resolve. These are retried.
 *
 * <p>The line between the two is the exception's type, not its message: every check of a setting's value
 * throws {@link IllegalArgumentException} naming the flag or variable (the settings model's parsers, the
 * builders, and {@link FileErrors#unreadable} for a file a setting names), while binding, connecting and opening the
 * greydb throw {@link IOException}, {@link UncheckedIOException} or {@link StoreException}. Anything else is
 * unforeseen and counts as a failure to start: retrying cannot make a wrong value right, but stopping for good
 * on an error nobody has looked at would be worse.
 */
public final class ExitStatus {

    /** A setting (flag, configuration file line, variable) or a file it names cannot be used. */
    public static final int CONFIGURATION = 2;
    /** The program cannot start now: retry later. */
    public static final int CANNOT_START = 111;

    private ExitStatus() {
    }

    /** The exit status for a start that failed with {@code failure}. */
    public static int of(Throwable failure) {
        return failure instanceof IllegalArgumentException ? CONFIGURATION : CANNOT_START;
    }

    /**
     * Whether {@code failure} is one the programs foresee (a bad value, I/O, the greydb), whose message says
     * everything; the others are worth their stack trace.
     */
    public static boolean foreseen(Throwable failure) {
        return failure instanceof IllegalArgumentException || failure instanceof IOException
                || failure instanceof UncheckedIOException || failure instanceof StoreException;
    }
}
