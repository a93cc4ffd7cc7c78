package org.greylite.net;

import java.util.function.BooleanSupplier;

/**
 * Whether a server thread whose clients each send a request and wait for its answer (greydaemon's, asked by the
 * patched qmail-smtpd; the Postfix policy service's, asked by smtpd), having answered and finding no request
 * waiting, looks at its sockets again for a moment before it goes to sleep, and for how long.
 *
 * <h2>Why</h2>
 * Such a client sends its next request a few tens of microseconds after its answer. Going to sleep in {@code select} in between costs more than the
 * decision itself: the kernel parks the thread, and the next datagram must wake it (on a virtual machine, an
 * idle virtual CPU woken by an interrupt). Measured on a 2-core virtual machine with one client: a bare UDP
 * server answering at once made 14,500 round trips a second sleeping between requests, 43,000 looking again
 * for up to 200 µs first; with 40 µs of work per request, 8,100 against 11,400.
 *
 * <h2>What it costs, and why it adapts</h2>
 * Looking costs CPU while nothing comes. So the thread looks only while requests come close together: after a
 * batch whose first request came within {@link #DEFAULT_WINDOW_MICROS} of the answer before it (looking would
 * have found it), and for at most that long after the answer. When a look finds nothing, the thread sleeps and
 * does not look again until two requests come that close again. An idle daemon, or one asked a few times a
 * second, never looks; one asked every millisecond or so looks for about a tenth of its requests, each for at most
 * the window. Looking for longer was rejected: a request that comes later than this is rarely the next of a
 * qmail-smtpd waiting for its answer, so the CPU would be spent for nothing.
 *
 * <p>A JVM property named by each server sets the window in microseconds (0: never look), for benchmarks.
 *
 * <p>Not thread-safe: the server's one thread uses it.
 */
public final class IdleSpin {

    /** How long after an answer the thread may look for the next request, in microseconds. */
    public static final long DEFAULT_WINDOW_MICROS = 100;

    private final long windowNanos;
    /** {@link System#nanoTime()} when the last batch was answered; 0 before the first. */
    private long answeredAt;
    private boolean looking;

    public IdleSpin(long windowMicros) {
        this.windowNanos = Math.max(0, windowMicros) * 1000;
    }

    /** The window the JVM property {@code property} sets, or the default. */
    public static IdleSpin fromProperty(String property) {
        return new IdleSpin(Long.getLong(property, DEFAULT_WINDOW_MICROS));
    }

    /** A batch has been answered at {@code now}. */
    public void answered(long now) {
        answeredAt = now;
    }

    /** The first request of a batch came at {@code now}: looking would have found it if it came within the window. */
    public void requestCame(long now) {
        looking = answeredAt != 0 && now - answeredAt < windowNanos;
    }

    /**
     * Asks {@code waiting} again and again, until it says a request is waiting (true) or the window after the last
     * answer has passed (false: the thread should sleep, and looking stops until requests come close together again).
     * Returns false at once when the thread is not looking.
     */
    public boolean lookBriefly(BooleanSupplier waiting) {
        if (!looking) {
            return false;
        }
        long until = answeredAt + windowNanos;
        do {
            if (waiting.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - until < 0);
        looking = false;
        return false;
    }
}
