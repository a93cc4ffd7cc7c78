package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The looks of one I/O thread at one connection, at times the test gives (nanoseconds of the monotonic clock). */
class IdleWatchTest {

    private static final long S = 1_000_000_000L;

    private final IdleWatch watch = new IdleWatch(Duration.ofSeconds(5));

    @Test
    void silenceCountsFromTheFirstLookThatSawTheBytesAsTheyAre() {
        assertFalse(watch.idleAt(100 * S, 0), "the first look");
        assertFalse(watch.idleAt(101 * S, 16), "bytes came: silent from here");
        assertFalse(watch.idleAt(105 * S, 16), "4 s of silence");
        assertTrue(watch.idleAt(106 * S, 16), "5 s");
    }

    @Test
    void aByteEitherWayStartsTheSilenceAgain() {
        watch.idleAt(0, 0);
        watch.idleAt(4 * S, 0);
        assertFalse(watch.idleAt(5 * S, 1), "a byte, just in time");
        assertFalse(watch.idleAt(9 * S, 1));
        assertTrue(watch.idleAt(10 * S, 1));
    }

    @Test
    void aConnectionKeptAfterItsTimeoutIsToldAgainATimeoutLater() {
        watch.idleAt(0, 7);
        assertTrue(watch.idleAt(5 * S, 7));
        assertFalse(watch.idleAt(6 * S, 7), "not at every look after");
        assertTrue(watch.idleAt(10 * S, 7));
    }

    @Test
    void onlyDifferencesOfTheMonotonicClockCount() {
        // System.nanoTime() has an arbitrary origin, and its values may pass Long.MAX_VALUE and go on negative.
        long start = Long.MAX_VALUE - S;
        watch.idleAt(start, 0);
        assertFalse(watch.idleAt(start + 4 * S, 0));
        assertTrue(watch.idleAt(start + 5 * S, 0));
    }
}
