package org.greylite.store;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the greydb holds for one decision, read inside its transaction.
 *
 * @param whitelisted true when the client key is on the whitelist (then nothing else was read)
 * @param behaviours  the behaviours remembered for the client key, with when each was last shown (expired
 *                    ones included until the purge removes them)
 * @param triplet     the triplet's row, absent when there is none
 * @param pending     counts the client key's pending triplets, in the same transaction, when the engine asks
 */
public record StoredState(boolean whitelisted, Map<String, Instant> behaviours, Optional<Triplet> triplet,
                          PendingCount pending) {

    /**
     * The pending triplets of the decision's client key, counted in its transaction. A query rather than a
     * number read beforehand: most decisions (a whitelisted client, a retry) never need it, and a count read
     * before the transaction could be stale by the time the triplet is written.
     */
    @FunctionalInterface
    public interface PendingCount {
        /**
         * How many triplets of the client key have not passed and were first seen after {@code firstSeenAfter},
         * counting no further than {@code limit}.
         *
         * @throws StoreException when the greydb cannot answer (the decision's transaction then fails)
         */
        int upTo(Instant firstSeenAfter, int limit);
    }

    /** For a state that was not read from a greydb table of triplets: a count that finds none. */
    public static final PendingCount NONE_PENDING = (after, limit) -> 0;

    public StoredState {
        behaviours = Map.copyOf(behaviours);
        Objects.requireNonNull(pending, "pending");
    }

    static final StoredState WHITELISTED = new StoredState(true, Map.of(), Optional.empty(), NONE_PENDING);
}
