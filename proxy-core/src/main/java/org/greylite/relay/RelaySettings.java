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
 * @param rcptOrder        whether a RCPT is decided before it goes upstream, or after the upstream accepted it
 */
public record RelaySettings(int maxLineLength, long greetDelayMillis, Replies replies, int junkCommandLimit,
                            RcptOrder rcptOrder) {

    public static final int DEFAULT_MAX_LINE = 4096;
    public static final long DEFAULT_GREET_DELAY_MS = 6000;
    /** As Postfix's {@code smtpd_junk_command_limit}: far above what a real client sends. */
    public static final int DEFAULT_JUNK_COMMAND_LIMIT = 100;

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
    }

    /** With the default junk command limit. */
    public RelaySettings(int maxLineLength, long greetDelayMillis, Replies replies) {
        this(maxLineLength, greetDelayMillis, replies, DEFAULT_JUNK_COMMAND_LIMIT);
    }

    /** In the default RCPT order, greylisting first. */
    public RelaySettings(int maxLineLength, long greetDelayMillis, Replies replies, int junkCommandLimit) {
        this(maxLineLength, greetDelayMillis, replies, junkCommandLimit, RcptOrder.GREYLIST_FIRST);
    }

    public static RelaySettings defaults(String hostname) {
        return new RelaySettings(DEFAULT_MAX_LINE, 0, Replies.defaults(hostname));
    }

    public RelaySettings withGreetDelayMillis(long ms) {
        return new RelaySettings(maxLineLength, ms, replies, junkCommandLimit, rcptOrder);
    }

    public RelaySettings withJunkCommandLimit(int limit) {
        return new RelaySettings(maxLineLength, greetDelayMillis, replies, limit, rcptOrder);
    }

    public RelaySettings withRcptOrder(RcptOrder order) {
        return new RelaySettings(maxLineLength, greetDelayMillis, replies, junkCommandLimit, order);
    }
}
