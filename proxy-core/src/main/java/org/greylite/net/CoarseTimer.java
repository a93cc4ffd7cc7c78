package org.greylite.net;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks after a delay, on one daemon thread that looks at its tasks once a tick (20 ms for {@link #DNS})
 * while it has any, and sleeps until told otherwise when it has none. A task runs at most a tick late.
 *
 * <p>Why not the JDK's timers ({@code CompletableFuture.delayedExecutor}, {@code completeOnTimeout}, a
 * {@code ScheduledThreadPoolExecutor}): a DNS lookup schedules its resends and its timeout, and the answer,
 * which comes within a millisecond from a local resolver, makes them all moot. Those timers woke their thread
 * for each resend left to run out and for each task added to an empty queue: measured in greylited with a new
 * client address at every session, 1.7 wake-ups of the timer thread per lookup and about a tenth of the proxy's
 * CPU. Here a cancelled task is only marked, dropped when its time comes or at the next tick, and a task added
 * while the thread is ticking wakes nobody: under load the thread wakes once a tick, however many lookups.
 */
public final class CoarseTimer {

    private static final Logger LOG = LoggerFactory.getLogger(CoarseTimer.class);

    /** The timer of DNS resends and lookup timeouts. */
    public static final CoarseTimer DNS = new CoarseTimer(Duration.ofMillis(20), "greylite-dns-timer");

    /** A scheduled task; {@link #cancel} keeps it from running if it has not yet. */
    public static final class Task {
        private final Runnable action;
        private final long dueNanos;
        private volatile boolean cancelled;

        private Task(Runnable action, long dueNanos) {
            this.action = action;
            this.dueNanos = dueNanos;
        }

        public void cancel() {
            cancelled = true;
        }
    }

    private final long tickNanos;
    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> Long.compare(a.dueNanos, b.dueNanos));
    private final AtomicLong wakeUps = new AtomicLong();
    private boolean waiting; // guarded by this: the thread sleeps until a task is added

    CoarseTimer(Duration tick, String threadName) {
        this.tickNanos = tick.toNanos();
        Thread thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Runs {@code action} on the timer's thread after {@code delay}, or up to a tick later. */
    public Task schedule(Runnable action, Duration delay) {
        Task t = new Task(action, System.nanoTime() + delay.toNanos());
        synchronized (this) {
            tasks.add(t);
            if (waiting) {
                waiting = false;
                notify();
            }
        }
        return t;
    }

    /** How many times the thread has woken, for tests. */
    long wakeUps() {
        return wakeUps.get();
    }

    private void run() {
        List<Task> due = new ArrayList<>();
        while (true) {
            try {
                synchronized (this) {
                    dropCancelledHeads();
                    while (tasks.isEmpty()) {
                        waiting = true;
                        wait();
                        dropCancelledHeads();
                    }
                    long now = System.nanoTime();
                    while (!tasks.isEmpty() && tasks.peek().dueNanos - now <= 0) {
                        due.add(tasks.poll());
                    }
                }
                for (Task t : due) {
                    if (!t.cancelled) {
                        runQuietly(t);
                    }
                }
                due.clear();
                Thread.sleep(tickNanos / 1_000_000, (int) (tickNanos % 1_000_000));
                wakeUps.incrementAndGet();
            } catch (InterruptedException e) {
                return; // a daemon thread: only the JVM's end interrupts it
            }
        }
    }

    /** Cancelled tasks at the head go now: a queue of nothing but cancelled tasks lets the thread sleep. */
    private void dropCancelledHeads() {
        while (!tasks.isEmpty() && tasks.peek().cancelled) {
            tasks.poll();
        }
    }

    private static void runQuietly(Task t) {
        try {
            t.action.run();
        } catch (RuntimeException | Error e) {
            // One task's failure must not stop the resends and timeouts of every other lookup.
            LOG.error("timer task failed: {}", e.toString());
        }
    }
}
