package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A greydb that could not be opened: every operation fails with the reason it could not. The engine
 * runs over it as over any store that fails, so a client gets the same fail-open (or fail-closed) answer
 * and the administrator the same log lines as for a greydb that fails later.
 */
final class UnavailableStore implements GreylistStore {

    private final String where;
    private final StoreException why;

    UnavailableStore(String where, StoreException why) {
        this.where = where;
        this.why = why;
    }

    private StoreException failure() {
        return new StoreException(why.getMessage(), why);
    }

    @Override
    public <T> T decide(DecisionQuery query, Function<StoredState, TripletUpdate<T>> transition) {
        throw failure();
    }

    @Override
    public <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision) {
        throw failure();
    }

    @Override
    public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
        throw failure();
    }

    @Override
    public List<ListEntry> adminEntries() {
        throw failure();
    }

    @Override
    public Map<String, Instant> rememberedBehaviours(String clientKey) {
        throw failure();
    }

    @Override
    public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        throw failure();
    }

    @Override
    public boolean claimPurge(Instant now, Duration interval) {
        return false; // nothing to purge in a greydb that is not open
    }

    @Override
    public int parallelism() {
        return 1;
    }

    @Override
    public String describe() {
        return where;
    }

    @Override
    public void close() {
    }
}
