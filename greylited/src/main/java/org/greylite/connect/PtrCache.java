package org.greylite.connect;

import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The PTR answers kept per client address, in a bounded LRU map, and the rules for how long:
 * <ul>
 *   <li>an answer is fresh for its DNS time to live, at most {@link #MAX_CACHE_TIME};</li>
 *   <li>an answer that gives no name (no PTR record, no data, a name that does not resolve back) is fresh
 *       for at least {@link #NEGATIVE_FLOOR}, also when the DNS sent no SOA record to say how long a negative
 *       answer may be kept (RFC 2308 would keep it not at all, and a client without a PTR record would cost a
 *       query per connection);</li>
 *   <li>for {@link #STALE_WINDOW} after it expires, an answer is still given at once while one refresh runs
 *       in the background; the refresh's answer replaces it, a failed refresh leaves it until the window
 *       closes (serve-stale, RFC 8767, with a much shorter bound);</li>
 *   <li>a failure (timeout, SERVFAIL) is never kept: the next connection asks again;</li>
 *   <li>connections from one address while its lookup is in flight share that lookup.</li>
 * </ul>
 * Why these are safe for the decisions that read the name is written in docs/choices.md (PTR names).
 */
final class PtrCache {

    /** No answer is fresh longer than this, whatever its TTL. */
    static final Duration MAX_CACHE_TIME = Duration.ofMinutes(10);
    /** An answer without a name is fresh at least this long. */
    static final Duration NEGATIVE_FLOOR = Duration.ofSeconds(30);
    /** How long after it expired an answer is still given while it is refreshed. */
    static final Duration STALE_WINDOW = Duration.ofSeconds(30);

    /** What the caller of {@link #use} must do. */
    enum Work {
        /** Nothing: the answer is fresh, or a lookup for it is in flight. */
        NONE,
        /** Look it up and {@link #settle} the entry: nothing is known. */
        RESOLVE,
        /** Look it up and {@link #refreshed} the entry, whose stale answer the caller may use meanwhile. */
        REFRESH
    }

    /** One address's answer, or the lookup that will give it. */
    static final class Entry {
        final CompletableFuture<PtrAnswer> answer = new CompletableFuture<>();
        /** Guarded by the cache: false while the lookup is in flight. */
        boolean settled;
        long expiresAtNanos;
        boolean refreshing;
    }

    /** The entry to use and what to do for it. */
    record Use(Entry entry, Work work) {
    }

    private final Map<InetAddress, Entry> entries;
    private final LongSupplier nanoTime;

    PtrCache(int size, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.entries = new LinkedHashMap<>(256, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Entry> eldest) {
                return size() > size;
            }
        };
    }

    Use use(InetAddress address) {
        synchronized (entries) {
            Entry entry = entries.get(address);
            long now = nanoTime.getAsLong();
            if (entry != null && (!entry.settled || now - entry.expiresAtNanos < 0)) {
                return new Use(entry, Work.NONE);
            }
            if (entry != null && now - entry.expiresAtNanos < STALE_WINDOW.toNanos()) {
                if (entry.refreshing) {
                    return new Use(entry, Work.NONE);
                }
                entry.refreshing = true;
                return new Use(entry, Work.REFRESH);
            }
            Entry fresh = new Entry();
            entries.put(address, fresh);
            return new Use(fresh, Work.RESOLVE);
        }
    }

    /** The lookup of a {@link Work#RESOLVE} is done: keep its answer for as long as it may be, and give it. */
    void settle(InetAddress address, Entry entry, PtrAnswer answer) {
        synchronized (entries) {
            entry.settled = true;
            long seconds = keepSeconds(answer);
            if (seconds > 0) {
                entry.expiresAtNanos = nanoTime.getAsLong() + TimeUnit.SECONDS.toNanos(seconds);
            } else if (entries.get(address) == entry) {
                entries.remove(address);
            }
        }
        entry.answer.complete(answer);
    }

    /**
     * The refresh of a {@link Work#REFRESH} is done: a new answer replaces the stale one; a failure leaves the
     * stale one in use until its window closes, and the next connection tries again.
     */
    void refreshed(InetAddress address, Entry stale, PtrAnswer answer) {
        Entry renewed = new Entry();
        synchronized (entries) {
            stale.refreshing = false;
            if (answer.failed() || entries.get(address) != stale) {
                return;
            }
            long seconds = keepSeconds(answer);
            if (seconds > 0) {
                renewed.settled = true;
                renewed.expiresAtNanos = nanoTime.getAsLong() + TimeUnit.SECONDS.toNanos(seconds);
                entries.put(address, renewed);
            } else {
                entries.remove(address);
            }
        }
        renewed.answer.complete(answer);
    }

    /** How long an answer stays fresh; 0: not kept. */
    static long keepSeconds(PtrAnswer answer) {
        if (answer.failed()) {
            return 0;
        }
        long seconds = answer.ttlSeconds();
        if (answer.name().isEmpty()) {
            seconds = Math.max(seconds, NEGATIVE_FLOOR.getSeconds());
        }
        return Math.min(seconds, MAX_CACHE_TIME.getSeconds());
    }
}
