package org.greylite.greylist;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.store.StoredState;

/**
 * The pending-triplet counts of the client keys seen lately, so that the cap on them ({@code --max-pending}) is
 * not counted in the greydb at every new triplet.
 *
 * <h2>Why</h2>
 * The count walks the key's pending triplets, up to the cap (1,000 by default), at each first attempt that is not
 * already decided. A network that sends a new triplet after another from many addresses (a bulk sender, a spam
 * run, one {@code /24} under the smart key) keeps hundreds pending, and counting them cost more than everything
 * else in its decisions together: with 500 pending per key, the Postfix policy service's CPU per decision was
 * 107 µs with the cap and 55 µs without it (2026-12-03, 20 connections).
 *
 * <h2>What is kept, and how far it can be off</h2>
 * Per client key, the count last read from the greydb, when, and the new triplets this process has recorded for
 * the key since. While the count is at most {@link #FRESH} old, that stands for it; then the greydb is counted
 * again. So a key this process alone writes never passes the cap, and a key found at the cap is refused for
 * those seconds without being counted again at each new triplet (the case that costs most: a sender at the cap
 * has the most triplets to count, and keeps sending). What the estimate does not see: the new triplets that
 * other processes sharing the greydb (another MX on PostgreSQL, the wrapper's processes on one SQLite file)
 * recorded for the key in those seconds, so the key can exceed the cap by that many; and the triplets that
 * passed or left the retry window meanwhile, so a key at the cap can stay refused up to {@link #FRESH} after it
 * has room again (a temporary refusal: the sender retries).
 *
 * <p>Thread-safe: with PostgreSQL, decisions run on several threads.
 */
final class PendingEstimates {

    /** How old a count from the greydb may be and still stand for it. */
    static final Duration FRESH = Duration.ofSeconds(10);

    /** Past this many keys, new ones are not kept (they are counted in the greydb each time) until a sweep. */
    static final int MAX_KEYS = 100_000;

    /** Stale entries are removed after this many counts taken from the greydb. */
    private static final int SWEEP_EVERY = 4096;

    private record Estimate(int count, Instant counted) {
    }

    private final ConcurrentHashMap<String, Estimate> byKey = new ConcurrentHashMap<>();
    private final AtomicInteger countsSinceSweep = new AtomicInteger();

    /**
     * The count the cap is compared with, for {@code key} at {@code now}: the estimate while it stands (see the
     * class comment), else {@code greydb}'s count, which is then kept.
     */
    StoredState.PendingCount around(String key, Instant now, StoredState.PendingCount greydb) {
        return (after, limit) -> {
            Estimate e = byKey.get(key);
            if (e != null && fresh(e, now)) {
                return Math.min(e.count(), limit);
            }
            int counted = greydb.upTo(after, limit);
            remember(key, new Estimate(counted, now), now);
            return counted;
        };
    }

    /** Counted at most {@link #FRESH} before {@code now}, and not after it (a clock set back does not extend it). */
    private static boolean fresh(Estimate e, Instant now) {
        return !e.counted().isAfter(now) && !e.counted().plus(FRESH).isBefore(now);
    }

    /** This process has recorded a new pending triplet for {@code key} (or restarted an expired one). */
    void recorded(String key) {
        byKey.computeIfPresent(key, (k, e) -> new Estimate(e.count() + 1, e.counted()));
    }

    /** A new triplet {@link #recorded} for {@code key} whose transaction did not commit. */
    void unrecorded(String key) {
        byKey.computeIfPresent(key, (k, e) -> new Estimate(Math.max(0, e.count() - 1), e.counted()));
    }

    /** How many keys are kept now (for tests). */
    int size() {
        return byKey.size();
    }

    private void remember(String key, Estimate e, Instant now) {
        if (countsSinceSweep.incrementAndGet() >= SWEEP_EVERY) {
            countsSinceSweep.set(0);
            Instant staleBefore = now.minus(FRESH);
            byKey.values().removeIf(x -> x.counted().isBefore(staleBefore));
        }
        if (byKey.size() < MAX_KEYS || byKey.containsKey(key)) {
            byKey.put(key, e);
        }
    }
}
