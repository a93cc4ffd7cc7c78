package org.greylite.smtp;

import java.util.Arrays;

/**
 * Turns the bytes a client sends into whole command lines, one at a time: the twin of {@link ReplyAssembler}
 * for the other direction. A line ends at LF; a line longer than the limit is refused and its bytes are thrown
 * away up to its end, however it was split, so that its tail is never read as a command.
 *
 * <p>Pulled, not pushed: the relay asks for the next line only when it may interpret it (a reply or a decision
 * it waits for can change what the following bytes are: message text after a 354, a SASL response after a
 * 334), so the bytes stay in the caller's queue until then.
 *
 * <p><b>Line endings.</b> A line ended by a bare LF is handed out ending in CRLF, as it was understood: a
 * strict upstream would read a bare LF as part of the line and merge two commands into one, and the session
 * would stall waiting for a reply that never comes. Forwarding the client's raw bytes was the alternative
 * rejected: what reaches the upstream must be what the proxy saw.
 */
public final class CommandDecoder {

    /** RFC 4954 4: AUTH lines and SASL responses may be 12288 octets long. */
    public static final int MAX_SASL_LINE = 12288;

    /** What {@link #next} found at the head of the queue. */
    public enum Outcome {
        /** No complete line yet: wait for more bytes. */
        NEED_MORE,
        /** A line: {@link #line()} holds it. */
        LINE,
        /** A line longer than the limit was refused (its rest, if still to come, will be thrown away). */
        TOO_LONG,
        /** The end of an over-long line was thrown away: nothing to answer. */
        SKIPPED
    }

    private final int maxLine;
    private boolean discarding;
    private CommandLine line;

    /** @param maxLine the longest command line accepted, line ending included */
    public CommandDecoder(int maxLine) {
        this.maxLine = maxLine;
    }

    /**
     * Takes the next line from {@code in}, if it is complete.
     *
     * @param saslResponse the next line is a SASL response (after a 334), allowed {@link #MAX_SASL_LINE}
     */
    public Outcome next(ByteQueue in, boolean saslResponse) {
        line = null;
        int lf = in.indexOf((byte) '\n', 0);
        if (discarding) {
            if (lf < 0) {
                in.clear();
                return Outcome.NEED_MORE;
            }
            in.skip(lf + 1);
            discarding = false;
            return Outcome.SKIPPED;
        }
        // AUTH lines and SASL responses carry tokens (Kerberos, say) longer than ordinary commands.
        int max = saslResponse || startsWithVerb(in, "auth") ? Math.max(maxLine, MAX_SASL_LINE) : maxLine;
        if (lf < 0) {
            if (in.size() > max) {
                in.clear();
                discarding = true;
                return Outcome.TOO_LONG;
            }
            return Outcome.NEED_MORE;
        }
        if (lf + 1 > max) {
            in.skip(lf + 1);
            return Outcome.TOO_LONG;
        }
        line = CommandLine.parse(withCrLf(in.take(lf + 1)));
        return Outcome.LINE;
    }

    /** The line {@link #next} returned {@link Outcome#LINE} for. */
    public CommandLine line() {
        return line;
    }

    /**
     * Whether the next line, still in {@code in}, begins with {@code verb} (lower case) and a space or a TAB, in any case;
     * false while the rest of an over-long line is being thrown away.
     */
    /** Whether the rest of a line too long to take is being skipped: the input's head is no line's start. */
    public boolean discarding() {
        return discarding;
    }

    public boolean nextLineStartsWith(ByteQueue in, String verb) {
        return !discarding && startsWithVerb(in, verb);
    }

    private static boolean startsWithVerb(ByteQueue in, String verb) {
        if (in.size() <= verb.length()) {
            return false;
        }
        for (int i = 0; i < verb.length(); i++) {
            if ((in.get(i) | 0x20) != verb.charAt(i)) {
                return false;
            }
        }
        byte after = in.get(verb.length());
        return after == ' ' || after == '\t'; // as CommandLine reads the verb: Postfix takes "RCPT<TAB>TO:" too
    }

    private static byte[] withCrLf(byte[] raw) {
        int n = raw.length;
        if (n >= 2 && raw[n - 2] == '\r') {
            return raw;
        }
        byte[] fixed = Arrays.copyOf(raw, n + 1);
        fixed[n - 1] = '\r';
        fixed[n] = '\n';
        return fixed;
    }
}
