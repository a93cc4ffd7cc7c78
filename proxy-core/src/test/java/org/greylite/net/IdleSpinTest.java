package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class IdleSpinTest {

    @Test
    void looksOnlyAfterARequestThatCameWithinTheWindowOfTheAnswerBeforeIt() {
        IdleSpin spin = new IdleSpin(100_000); // 100 ms: generous on a loaded machine
        AtomicInteger asked = new AtomicInteger();
        assertFalse(spin.lookBriefly(() -> asked.incrementAndGet() > 0), "never looks before a first answer");
        assertEquals(0, asked.get());

        long t = System.nanoTime();
        spin.answered(t);
        spin.requestCame(t + 1_000_000); // 1 ms after the answer: within the window
        spin.answered(System.nanoTime());
        assertTrue(spin.lookBriefly(() -> asked.incrementAndGet() >= 3), "finds the request that comes while it looks");
        assertTrue(asked.get() >= 3);

        spin.answered(t);
        spin.requestCame(t + 200_000_000); // 200 ms after: looking would not have found it
        asked.set(0);
        assertFalse(spin.lookBriefly(() -> asked.incrementAndGet() > 0));
        assertEquals(0, asked.get(), "a daemon asked seldom does not look at all");
    }

    @Test
    void stopsLookingWhenTheWindowPassesEmptyUntilRequestsComeCloseAgain() {
        IdleSpin spin = new IdleSpin(2_000); // 2 ms
        long t = System.nanoTime();
        spin.answered(t);
        spin.requestCame(t + 1_000);
        long answeredAt = System.nanoTime();
        spin.answered(answeredAt);
        assertFalse(spin.lookBriefly(() -> false), "nothing came in the window");
        assertTrue(System.nanoTime() - answeredAt >= 2_000_000, "it looked until the window had passed");
        AtomicInteger asked = new AtomicInteger();
        spin.answered(System.nanoTime());
        assertFalse(spin.lookBriefly(() -> asked.incrementAndGet() > 0), "after an empty look it sleeps at once");
        assertEquals(0, asked.get());

        long u = System.nanoTime();
        spin.answered(u);
        spin.requestCame(u + 1_000); // a request right after the last answer: looking resumes
        spin.answered(System.nanoTime());
        assertTrue(spin.lookBriefly(() -> true));
    }

    @Test
    void aWindowOfZeroNeverLooks() {
        IdleSpin spin = new IdleSpin(0);
        long t = System.nanoTime();
        spin.answered(t);
        spin.requestCame(t);
        assertFalse(spin.lookBriefly(() -> true));
    }
}
