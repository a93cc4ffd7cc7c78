package org.greylite.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The first occurrence is logged; the others of the minute are counted, and the next line logged says how many. */
class RepeatedWarningTest {

    @Test
    void oneLineAMinuteSayingHowManyWereLeftOut() {
        AtomicLong now = new AtomicLong(-5); // nanoTime may be negative
        RepeatedWarning w = new RepeatedWarning(now::get);
        assertEquals(0, w.admit(), "the first is logged");
        assertEquals(-1, w.admit());
        now.addAndGet(TimeUnit.SECONDS.toNanos(59));
        assertEquals(-1, w.admit());
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(2, w.admit(), "a minute after the last line, logged with the two left out");
        now.addAndGet(TimeUnit.MINUTES.toNanos(5));
        assertEquals(0, w.admit(), "none left out since");
        assertEquals("", RepeatedWarning.more(0));
        assertEquals(" (2 more like it in the last minute, not logged)", RepeatedWarning.more(2));
    }
}
