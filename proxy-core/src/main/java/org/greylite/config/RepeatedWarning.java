package org.greylite.config;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A warning that whoever can reach a port could repeat at will (a malformed datagram, a broken policy connection)
 * or that a failing service would repeat at every client (a DNS that does not answer): logged at most once a
 * minute, the line saying how many like it were left out since the last one, so that a flood neither fills the
 * disk nor buries the other lines, and the administrator still sees it and its size. The metrics count every one.
 *
 * <pre>{@code
 * long skipped = malformed.admit();
 * if (skipped >= 0) LOG.warn("malformed request from {}{}", from, RepeatedWarning.more(skipped));
 * }</pre>
 */
public final class RepeatedWarning {

    /** How often such a line may be logged. */
    public static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final LongSupplier nanoTime;
    private boolean logged;
    private long lastLogged;
    private long skipped;

    public RepeatedWarning() {
        this(System::nanoTime);
    }

    /** With the time source given, monotonic nanoseconds as {@link System#nanoTime()}. */
    public RepeatedWarning(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Whether this occurrence is logged: -1 when not (it is counted), else how many were left out since the last
     * line logged. The first occurrence is always logged.
     */
    public synchronized long admit() {
        long now = nanoTime.getAsLong();
        if (logged && now - lastLogged < INTERVAL_NANOS) {
            skipped++;
            return -1;
        }
        logged = true;
        lastLogged = now;
        long left = skipped;
        skipped = 0;
        return left;
    }

    /** The words a logged line ends with for {@code skipped} left out: nothing when none were. */
    public static String more(long skipped) {
        return skipped <= 0 ? "" : " (" + skipped + " more like it in the last minute, not logged)";
    }
}
