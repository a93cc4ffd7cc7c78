package org.greylite.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A greydb that hands every call to another, with one place to look at a decision from inside its transaction:
 * {@link #seen}, given the triplet's row as the store read it and the update the engine chose. A front door that
 * needs one more fact of the row (greydaemon tells a stale entry from a new one; the policy service's header
 * says since when a message was delayed) reads it there, in the engine's own transaction: a second query after
 * the decision would cost a read and could see a later attempt's row.
 */
public abstract class ForwardingGreylistStore implements GreylistStore {

    private final GreylistStore delegate;

    protected ForwardingGreylistStore(GreylistStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * Called inside the decision's transaction, on the deciding thread: {@code row} is the triplet's row (absent
     * when there is none, or when the client was found on the whitelist and no row was read), {@code update} what
     * the engine will write. Returns what is written; quick and free of I/O, as the transition itself.
     */
    protected <T> TripletUpdate<T> seen(Optional<Triplet> row, TripletUpdate<T> update) {
        return update;
    }

    @Override
    public <T> T decide(DecisionQuery query, Function<StoredState, TripletUpdate<T>> transition) {
        return delegate.decide(query, state -> seen(state.triplet(), transition.apply(state)));
    }

    @Override
    public <T> T inOneTransaction(long askedNanos, Supplier<T> work) {
        return delegate.inOneTransaction(askedNanos, work);
    }

    @Override
    public boolean commitsBatchTogether() {
        return delegate.commitsBatchTogether();
    }

    @Override
    public <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision) {
        return delegate.update(key, current -> seen(current, decision.apply(current)));
    }

    @Override
    public boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter) {
        return delegate.whitelisted(clientKey, now, lifetime, renewAfter);
    }

    @Override
    public List<ListEntry> adminEntries() {
        return delegate.adminEntries();
    }

    @Override
    public Map<String, Instant> rememberedBehaviours(String clientKey) {
        return delegate.rememberedBehaviours(clientKey);
    }

    @Override
    public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        return delegate.purgeExpired(now, retryWindow, lifetime);
    }

    @Override
    public boolean claimPurge(Instant now, Duration interval) {
        return delegate.claimPurge(now, interval);
    }

    /** Forwarded, so that a program's look at its greydb file reaches the store under its wrappers. */
    @Override
    public String reopenIfReplaced() {
        return delegate.reopenIfReplaced();
    }

    @Override
    public void recordLifetimes(GreydbLifetimes lifetimes) {
        delegate.recordLifetimes(lifetimes);
    }

    @Override
    public Clock sharedClock(Clock hostClock) {
        return delegate.sharedClock(hostClock);
    }

    @Override
    public int parallelism() {
        return delegate.parallelism();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void onAnswersAgain(Runnable listener) {
        delegate.onAnswersAgain(listener);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
