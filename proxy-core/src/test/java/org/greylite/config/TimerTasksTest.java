package org.greylite.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.testing.ThrowOnce;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Timed work on a real scheduler: a run that throws ends the schedule unless the task outlives its failures. */
class TimerTasksTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** Fails at its first run, counts the runs after it. */
    private static Runnable failingFirst(ThrowOnce failure, AtomicInteger runs, CountDownLatch second) {
        return () -> {
            runs.incrementAndGet();
            failure.now();
            second.countDown();
        };
    }

    @Test
    void aTaskThatFailsUnforeseenRunsAgainAtItsNextTurn() throws Exception {
        for (Class<? extends Throwable> kind : List.of(IllegalStateException.class, NoClassDefFoundError.class,
                StackOverflowError.class)) {
            ThrowOnce failure = ThrowOnce.of(kind);
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch second = new CountDownLatch(1);
            ScheduledFuture<?> f = timer.scheduleWithFixedDelay(TimerTasks.outliving("the test's task",
                    LoggerFactory.getLogger(TimerTasksTest.class), failingFirst(failure, runs, second)),
                    0, 10, TimeUnit.MILLISECONDS);
            assertTrue(second.await(10, TimeUnit.SECONDS), kind + ": run again after its failure");
            f.cancel(false);
        }
    }

    /** Why the wrapper: the same task, bare, is never run again after the run that threw. */
    @Test
    void aBareTaskThatThrowsIsNeverRunAgain() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch second = new CountDownLatch(1);
        ScheduledFuture<?> f = timer.scheduleWithFixedDelay(
                failingFirst(ThrowOnce.of(IllegalStateException.class), runs, second), 0, 10, TimeUnit.MILLISECONDS);
        assertFalse(second.await(500, TimeUnit.MILLISECONDS), "50 turns went by without a second run");
        assertEquals(1, runs.get());
        assertTrue(f.isDone(), "the schedule ended");
    }
}
