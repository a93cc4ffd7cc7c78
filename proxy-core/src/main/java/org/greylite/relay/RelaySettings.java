package org.greylite.relay;

import java.util.Objects;

/**
 * How the relay treats a session.
 *
 * @param maxLineLength    the longest command line accepted, line ending included (default 4096)
 * @param greetDelayMillis hold the greeting this long before even connecting upstream; 0 for none
 * @param replies          the replies the proxy writes itself
 * @param junkCommandLimit the junk commands (see {@link JunkCommands}) a session may send before it gets
 *                         {@code 421} and is closed; 0 for no limit
 * @param sessionDeadlineMillis how long a session may last in all, however busy the client keeps it, before
 *                         it gets {@code 421} and is closed (see {@link SessionLimits}); 0 for no deadline
 * @param greetingTimeoutMillis how long the upstream may take to greet once connected before the client gets
 *                         {@code 421}, whatever the upstream timeout for its other replies; 0 for no bound of its own
 * @param rcptOrder        whether a RCPT is decided before it goes upstream, or after the upstream accepted it
 */
public record RelaySettings(int maxLineLength, long greetDelayMillis, Replies replies, int junkCommandLimit,
                            long sessionDeadlineMillis, long greetingTimeoutMillis, RcptOrder rcptOrder) {

    public static final int DEFAULT_MAX_LINE = 4096;
    /**
     * The greeting delay {@code GREETDELAY} turns on when its value is not a positive number of ms (greylite(8)
     * reads {@code GREETDELAY=""} as "on"). Unset, there is no delay: the default is 0.
     */
    public static final long GREETDELAY_ON_MS = 6000;
    /** As Postfix's {@code smtpd_junk_command_limit}: far above what a real client sends. */
    public static final int DEFAULT_JUNK_COMMAND_LIMIT = 100;
    /** As Exchange's receive connector ({@code ConnectionTimeout}): far longer than a real session takes. */
    public static final long DEFAULT_SESSION_DEADLINE_MS = 10 * 60_000;
    /** RFC 5321 4.5.3.2.1: the initial 220 message, 5 minutes. */
    public static final long DEFAULT_GREETING_TIMEOUT_MS = 5 * 60_000;

    public RelaySettings {
        Objects.requireNonNull(replies, "replies");
        Objects.requireNonNull(rcptOrder, "rcptOrder");
        if (maxLineLength < 512) {
            throw new IllegalArgumentException("the line limit must be at least 512 bytes (RFC 5321 4.5.3.1.4): " + maxLineLength);
        }
        if (greetDelayMillis < 0) {
            throw new IllegalArgumentException("negative greeting delay: " + greetDelayMillis);
        }
        if (junkCommandLimit < 0) {
            throw new IllegalArgumentException("negative junk command limit: " + junkCommandLimit);
        }
        if (sessionDeadlineMillis < 0 || greetingTimeoutMillis < 0) {
            throw new IllegalArgumentException("negative session deadline or greeting timeout: "
                    + sessionDeadlineMillis + ", " + greetingTimeoutMillis);
        }
    }

    /** With the default session deadline and greeting timeout, in the default RCPT order (greylisting first). */
    public RelaySettings(int maxLineLength, long greetDelayMillis, Replies replies, int junkCommandLimit) {
        this(maxLineLength, greetDelayMillis, replies, junkCommandLimit, DEFAULT_SESSION_DEADLINE_MS,
                DEFAULT_GREETING_TIMEOUT_MS, RcptOrder.GREYLIST_FIRST);
    }

    /** With the default junk command limit, session deadline, greeting timeout and RCPT order. */
    public RelaySettings(int maxLineLength, long greetDelayMillis, Replies replies) {
        this(maxLineLength, greetDelayMillis, replies, DEFAULT_JUNK_COMMAND_LIMIT);
    }

    public static RelaySettings defaults(String hostname) {
        return new RelaySettings(DEFAULT_MAX_LINE, 0, Replies.defaults(hostname));
    }

    public RelaySettings withGreetDelayMillis(long ms) {
        return new RelaySettings(maxLineLength, ms, replies, junkCommandLimit, sessionDeadlineMillis,
                greetingTimeoutMillis, rcptOrder);
    }

    public RelaySettings withJunkCommandLimit(int limit) {
        return new RelaySettings(maxLineLength, greetDelayMillis, replies, limit, sessionDeadlineMillis,
                greetingTimeoutMillis, rcptOrder);
    }

    public RelaySettings withSessionDeadlineMillis(long ms) {
        return new RelaySettings(maxLineLength, greetDelayMillis, replies, junkCommandLimit, ms, greetingTimeoutMillis,
                rcptOrder);
    }

    public RelaySettings withGreetingTimeoutMillis(long ms) {
        return new RelaySettings(maxLineLength, greetDelayMillis, replies, junkCommandLimit, sessionDeadlineMillis, ms,
                rcptOrder);
    }

    public RelaySettings withRcptOrder(RcptOrder order) {
        return new RelaySettings(maxLineLength, greetDelayMillis, replies, junkCommandLimit, sessionDeadlineMillis,
                greetingTimeoutMillis, order);
    }
}
