package org.greylite.greydaemon;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.greylite.store.DecisionQuery;
import org.greylite.store.GreylistStore;
import org.greylite.store.StoredState;
import org.greylite.store.ListEntry;
import org.greylite.store.Triplet;
import org.greylite.store.TripletKey;
import org.greylite.store.TripletUpdate;

/**
 * The greydb as the engine sees it, noting whether the triplet it last decided already had a row. The engine
 * treats an expired row as absent (a first attempt again); greydaemon told that case apart ({@code 0,3}, a
 * stale entry restarted, against {@code 0,1} for a new one). Watching the row the store hands the engine, in
 * the engine's own transaction, tells them apart without a second query and without a race; asking the greydb
 * before the decision was the alternative, a query more per recipient and a row that may change in between.
 *
 * <p>Used by one thread, the greydb thread: {@link #reset} before a decision, {@link #sawRow} after it.
 */
final class RowWitness implements GreylistStore {

    private final GreylistStore store;
    private boolean sawRow;

    RowWitness(GreylistStore store) {
        this.store = store;
    }

    void reset() {
        sawRow = false;
    }

    /** True when the last decision found a row for its triplet, expired or not. */
    boolean sawRow() {
        return sawRow;
    }

    @Override
    public <T> T decide(DecisionQuery query, Function<StoredState, TripletUpdate<T>> transition) {
        return store.decide(query, state -> {
            sawRow = state.triplet().isPresent();
            return transition.apply(state);
        });
    }

    @Override
    public <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision) {
        return store.update(key, current -> {
            sawRow = current.isPresent();
            return decision.apply(current);
        });
    }

    @Override
    public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
        return store.whitelisted(clientKey, now, lifetime, renewAfter);
    }

    @Override
    public List<ListEntry> adminEntries() {
        return store.adminEntries();
    }

    @Override
    public Map<String, Instant> rememberedBehaviours(String clientKey) {
        return store.rememberedBehaviours(clientKey);
    }

    @Override
    public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        return store.purgeExpired(now, retryWindow, lifetime);
    }

    @Override
    public boolean claimPurge(Instant now, Duration interval) {
        return store.claimPurge(now, interval);
    }

    @Override
    public int parallelism() {
        return store.parallelism();
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        store.close();
    }
}
