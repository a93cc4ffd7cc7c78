package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The timer of DNS resends and timeouts: tasks run after their delay, cancelled ones never, and it idles. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CoarseTimerTest {

    @Test
    void aTaskRunsAfterItsDelayNotBefore() throws Exception {
        CoarseTimer timer = new CoarseTimer(Duration.ofMillis(10), "test-timer");
        CountDownLatch ran = new CountDownLatch(1);
        long start = System.nanoTime();
        long[] at = new long[1];
        timer.schedule(() -> {
            at[0] = System.nanoTime();
            ran.countDown();
        }, Duration.ofMillis(150));
        assertTrue(ran.await(10, TimeUnit.SECONDS));
        assertTrue(at[0] - start >= TimeUnit.MILLISECONDS.toNanos(150), "ran after " + (at[0] - start) / 1_000_000 + " ms");
    }

    @Test
    void tasksRunInTheOrderOfTheirTimesAndCancelledOnesNever() throws Exception {
        CoarseTimer timer = new CoarseTimer(Duration.ofMillis(10), "test-timer");
        List<String> ran = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch last = new CountDownLatch(1);
        // Seconds apart, so that a stalled test thread neither swaps the two nor lets the cancelled task fire
        // before it is cancelled; the cancelled one is due before the last, which the test waits for.
        timer.schedule(() -> {
            ran.add("2500");
            last.countDown();
        }, Duration.ofMillis(2500));
        timer.schedule(() -> ran.add("500"), Duration.ofMillis(500));
        CoarseTimer.Task cancelled = timer.schedule(() -> ran.add("cancelled"), Duration.ofMillis(2000));
        cancelled.cancel();
        assertTrue(last.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("500", "2500"), ran);
    }

    @Test
    void aFailingTaskDoesNotStopTheOthers() throws Exception {
        CoarseTimer timer = new CoarseTimer(Duration.ofMillis(10), "test-timer");
        CountDownLatch ran = new CountDownLatch(1);
        timer.schedule(() -> {
            throw new IllegalStateException("a task's bug");
        }, Duration.ofMillis(20));
        timer.schedule(ran::countDown, Duration.ofMillis(60));
        assertTrue(ran.await(10, TimeUnit.SECONDS));
    }

    /**
     * What it is for: thousands of tasks cancelled right after they were scheduled, as resends are by their answer,
     * wake the thread no more than its ticks, and with nothing left it sleeps.
     */
    @Test
    void cancelledTasksCostNoWakeUpsAndAnIdleTimerSleeps() throws Exception {
        CoarseTimer timer = new CoarseTimer(Duration.ofMillis(50), "test-timer");
        AtomicInteger ran = new AtomicInteger();
        long start = System.nanoTime();
        for (int i = 0; i < 5_000; i++) {
            timer.schedule(ran::incrementAndGet, Duration.ofMillis(100 + i % 200)).cancel();
        }
        Thread.sleep(500);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        long wakeUps = timer.wakeUps();
        assertEquals(0, ran.get());
        assertTrue(wakeUps <= elapsedMillis / 50 + 2, wakeUps + " wake-ups in " + elapsedMillis + " ms");
        Thread.sleep(300);
        long idle = timer.wakeUps();
        Thread.sleep(300);
        assertEquals(idle, timer.wakeUps(), "nothing scheduled: the thread sleeps");
        assertFalse(ran.get() > 0);
    }
}
