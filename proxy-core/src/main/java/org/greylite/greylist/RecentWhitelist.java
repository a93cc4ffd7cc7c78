package org.greylite.greylist;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client keys the greydb said were on the whitelist, remembered for a short while, so that the RCPTs of a
 * busy whitelisted client are decided from memory, on the network thread, instead of each waiting for a
 * whitelist query on the greydb's thread.
 *
 * <p>What the shortcut costs, for at most {@code ttl} after the last query: an entry deleted in the greydb
 * (greylitectl db delete, or the purge of an expired one) still lets the client through; an entry is not
 * renewed by the RCPTs answered from memory. Both are within what SPEC §3 allows: a whitelist hit writes
 * nothing but the renewal, which the greydb already spares until the entry is an hour (or 1% of its
 * lifetime) old, and the next query after the shortcut renews it as before. Nothing is batched or held back
 * to be written later, so there is nothing a crash could lose. The administrators' blacklist is checked
 * before this shortcut, as before any whitelist.
 *
 * <p>Thread-safe; never blocks.
 */
final class RecentWhitelist {

    /** Past this many keys, the stale ones are dropped when a key is added (and all, if none is stale). */
    static final int MAX_KEYS = 10_000;

    private final ConcurrentHashMap<String, Instant> confirmedAt = new ConcurrentHashMap<>();
    private final Duration ttl;

    RecentWhitelist(Duration ttl) {
        this.ttl = ttl;
    }

    /** The greydb has just said, at {@code now}, that {@code key} is on the whitelist. */
    void remember(String key, Instant now) {
        if (ttl.isZero()) {
            return; // remembering is off: the greydb is asked at every RCPT
        }
        if (confirmedAt.size() >= MAX_KEYS) {
            confirmedAt.values().removeIf(at -> !fresh(at, now));
            if (confirmedAt.size() >= MAX_KEYS) {
                confirmedAt.clear();
            }
        }
        confirmedAt.put(key, now);
    }

    /** True when the greydb said {@code key} was whitelisted less than the ttl before {@code now}. */
    boolean contains(String key, Instant now) {
        Instant at = confirmedAt.get(key);
        return at != null && fresh(at, now);
    }

    int size() {
        return confirmedAt.size();
    }

    /** A clock set back makes every entry stale rather than good for longer. */
    private boolean fresh(Instant at, Instant now) {
        return !now.isBefore(at) && now.isBefore(at.plus(ttl));
    }
}
