package org.greylite.daemon;

import java.time.Duration;

import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;

/**
 * How long one connection has gone without a byte either way, on the monotonic clock: the idle timeout of a client
 * ({@code --idle-timeout}) or of the upstream ({@code --upstream-timeout}). The session's {@link IdleSweep} looks
 * once a second; the connection is idle once it has looked for the whole timeout and found the same count of bytes
 * read and written every time.
 *
 * <p>Why not MINA's own idle time: MINA measures it on the wall clock ({@code System.currentTimeMillis()}), so
 * NTP stepping the clock forward by the timeout timed every connection out at once, and a step back left silent
 * clients in place (holding their upstream sessions and the connection limits) for the length of the step.
 *
 * <p>Why counts looked at once a second rather than the time of each read and write: the relay's reads and writes
 * cost nothing more (MINA counts the bytes anyway), and a connection is never found idle early, since a byte seen
 * at a look came at the earliest just after the look before. It may be found idle up to a look late, as with MINA.
 *
 * <p>Only the session's I/O thread uses it (the sweep of that thread).
 */
final class IdleWatch {

    private static final AttributeKey KEY = new AttributeKey(IdleWatch.class, "watch");

    private final long timeoutNanos;
    /** Bytes read and written at the last look; -1 before the first. */
    private long bytesSeen = -1;
    /** The monotonic time from which the connection counts as silent: the look that first saw its bytes as they are. */
    private long quietSince;

    IdleWatch(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /** Watches {@code session} for {@code timeout} of silence either way (MINA tells the handler {@code sessionIdle}). */
    static void watch(IoSession session, Duration timeout) {
        session.setAttribute(KEY, new IdleWatch(timeout));
    }

    /** The watch of {@code session}, or null for a session no one watches. */
    static IdleWatch of(IoSession session) {
        return (IdleWatch) session.getAttribute(KEY);
    }

    /**
     * A look at {@code nowNanos} ({@link System#nanoTime()}), the connection having read and written {@code bytes}
     * in all: true when it has been silent the whole timeout. Silence goes on being counted from then, so a
     * connection the handler keeps (a client waiting for a greylisting decision) is told again a timeout later.
     */
    boolean idleAt(long nowNanos, long bytes) {
        if (bytes != bytesSeen) {
            bytesSeen = bytes;
            quietSince = nowNanos;
            return false;
        }
        if (nowNanos - quietSince < timeoutNanos) {
            return false;
        }
        quietSince = nowNanos;
        return true;
    }
}
