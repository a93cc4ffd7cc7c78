package org.greylite.testing;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Waits for a writer held back by back-pressure to stop: its count of what it has written stays the same for a
 * whole second. The kernel's socket buffers grow as they fill, and a busy machine fills them slowly, so no fixed
 * sleep would do.
 */
public final class Stall {

    private Stall() {
    }

    /** What the count last was, and whether it stayed the same for a whole second. */
    public record Seen(long count, boolean stuck) {
    }

    /**
     * Looks at {@code count} once a second until it stays the same for a second, reaches {@code enough} (written
     * past what back-pressure would allow: no point waiting), or {@code within} has passed.
     */
    public static Seen await(LongSupplier count, long enough, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        long before;
        long after;
        do {
            before = count.getAsLong();
            Thread.sleep(1000);
            after = count.getAsLong();
        } while (before != after && after < enough && System.nanoTime() < deadline);
        return new Seen(after, before == after);
    }
}
