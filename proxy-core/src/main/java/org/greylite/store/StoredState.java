package org.greylite.store;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the greydb holds for one decision, read inside its transaction.
 *
 * @param whitelisted true when the client key is on the whitelist (then nothing else was read)
 * @param behaviours  reads the behaviours remembered for the client key, in the same transaction, when the
 *                    engine asks
 * @param triplet     the triplet's row, absent when there is none
 * @param pending     counts the client key's pending triplets, in the same transaction, when the engine asks
 * @param passed      counts the client key's passed triplets, in the same transaction, when the engine asks
 */
public record StoredState(boolean whitelisted, RememberedBehaviours behaviours, Optional<Triplet> triplet,
                          PendingCount pending, PassedCount passed) {

    /**
     * The behaviours remembered for the decision's client key, read in its transaction. A query rather than a map
     * read beforehand: they matter only when the suspicion rules give the retryinterval behaviour another N, and
     * without such a rule (the default) reading them cost a query per decision that decided nothing.
     */
    @FunctionalInterface
    public interface RememberedBehaviours {
        /**
         * The behaviours with when each was last shown (expired ones included until the purge removes them).
         *
         * @throws StoreException when the greydb cannot answer (the decision's transaction then fails)
         */
        Map<String, Instant> read();
    }

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

    /**
     * The passed triplets of the decision's client key, counted in its transaction, for auto-whitelisting after N
     * passes. Asked only at a pass and only when N is more than one: counting for every pass of the default (one
     * pass) would cost a query that decides nothing.
     */
    @FunctionalInterface
    public interface PassedCount {
        /**
         * How many triplets of the client key have passed and were last used after {@code lastSeenAfter},
         * counting no further than {@code limit}.
         *
         * @throws StoreException when the greydb cannot answer (the decision's transaction then fails)
         */
        int upTo(Instant lastSeenAfter, int limit);
    }

    /** For a state that was not read from a greydb table of triplets: a count that finds none. */
    public static final PendingCount NONE_PENDING = (after, limit) -> 0;

    /** For a state that was not read from a greydb table of triplets: a count that finds none. */
    public static final PassedCount NONE_PASSED = (after, limit) -> 0;

    public StoredState {
        Objects.requireNonNull(behaviours, "behaviours");
        Objects.requireNonNull(pending, "pending");
        Objects.requireNonNull(passed, "passed");
    }

    /** A state whose client key has no passed triplet to count (tests, and stores that keep no such count). */
    public StoredState(boolean whitelisted, Map<String, Instant> behaviours, Optional<Triplet> triplet,
                       PendingCount pending) {
        this(whitelisted, fixed(behaviours), triplet, pending, NONE_PASSED);
    }

    private static RememberedBehaviours fixed(Map<String, Instant> behaviours) {
        Map<String, Instant> copy = Map.copyOf(behaviours);
        return () -> copy;
    }

    static final StoredState WHITELISTED = new StoredState(true, Map.of(), Optional.empty(), NONE_PENDING);
}
