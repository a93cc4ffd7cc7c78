package org.greylite.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where greylisting state lives. The engine owns the algorithm; a store owns atomicity and durability:
 * every method that writes has committed when it returns, so an acknowledged decision survives a crash.
 *
 * <p>One implementation ({@link SqlGreylistStore}) over a {@link GreydbDialect}: an SQLite file shared by
 * the processes of one host, or a PostgreSQL database shared by several MX hosts; {@link GreylistStores#open}
 * picks one from the location an administrator gave. Methods throw {@link StoreException} when the database
 * cannot be used.
 */
public interface GreylistStore extends AutoCloseable {

    /**
     * One decision, in one transaction: reads the whitelist (renewing a hit when due), and unless the client
     * is on it the remembered behaviours and the triplet's row; hands them to {@code transition} and writes
     * what it returns. No other process or thread changes the triplet in between.
     *
     * @param transition pure and quick: it runs while the greydb is locked (see the engine's comments)
     */
    <T> T decide(DecisionQuery query, Function<StoredState, TripletUpdate<T>> transition);

    /**
     * Runs {@code work}, whose decisions ({@link #decide}) and reads join one transaction where the greydb can:
     * one write lock and one commit for all, committed when it returns, none of its writes if it throws. Each
     * decision still sees the writes of those before it, as if each had committed alone. For a service with
     * several decisions waiting at once (greydaemon's datagrams): their commits, the dearest part of a decision
     * in SQLite, become one.
     *
     * <p>SQLite joins them. PostgreSQL does not (the default: each decision commits on its own as {@code work}
     * runs): a batch would hold the advisory locks of all its triplets until its commit, and two hosts batching
     * the same triplets in another order would deadlock; and PostgreSQL's pool already decides in parallel.
     *
     * @param askedNanos {@link System#nanoTime()} when the oldest of the decisions was asked: the wait for the
     *                   shared transaction's lock ends the busy timeout after it
     * @throws StoreException when the shared transaction cannot start or commit, or a decision in it fails
     */
    default <T> T inOneTransaction(long askedNanos, Supplier<T> work) {
        return work.get();
    }

    /**
     * Whether {@link #inOneTransaction} commits its decisions together (none kept when it throws) rather than each as
     * it ends: a batch that fails half-way must then be answered as wholly failed, and otherwise decision by decision.
     */
    default boolean commitsBatchTogether() {
        return false;
    }

    /**
     * Reads the triplet's current row (absent if none) and applies the update, atomically (for tests and
     * tools; the engine decides with {@link #decide}).
     */
    <T> T update(TripletKey key, Function<Optional<Triplet>, TripletUpdate<T>> decision);

    /**
     * True when the client key is on the whitelist and its entry has not expired at {@code now}
     * (auto entries live {@code lifetime} after their last use). A hit renews an auto entry's last use;
     * to spare a write per delivery, only when it is older than {@code renewAfter}.
     */
    boolean whitelisted(String clientKey, Instant now, Duration lifetime, Duration renewAfter);

    /** Every white- and blacklist entry an administrator made (expired ones included, until purged). */
    List<ListEntry> adminEntries();

    /**
     * The behaviours (b-rule keywords) remembered for a client key, with when each was last shown.
     * Expiry is the engine's business: old entries may be returned until the purge removes them.
     */
    Map<String, Instant> rememberedBehaviours(String clientKey);

    /**
     * Deletes what has expired at {@code now}: pending triplets older than {@code retryWindow} since
     * their first attempt, passed triplets and auto-whitelist entries unused for {@code lifetime},
     * remembered behaviours not shown for {@code retryWindow}. In short transactions, pausing between them, so that
     * decisions (this process's on other threads, and other processes') are made meanwhile: it takes a while on a
     * large greydb, and belongs on a thread of its own, not on the one that decides.
     *
     * @return how many rows were removed
     */
    int purgeExpired(Instant now, Duration retryWindow, Duration lifetime);

    /**
     * Claims the purge round due every {@code interval}, for processes that purge when they end rather than
     * on a timer (the wrapper): true for exactly one of many processes asking at once. Reads first, without
     * the write lock, so the many that are not due do not queue for it; a lock held elsewhere for more than a
     * moment leaves the round to a later process.
     */
    boolean claimPurge(Instant now, Duration interval);

    /**
     * Checks that the greydb in use is still the one at its location: an SQLite file deleted or replaced while
     * open would otherwise go on receiving the decisions no other process sees. If it is not, the store opens
     * (and if need be creates) the greydb at the location, and returns what happened, for an administrator;
     * null when nothing changed. Quick (one stat), so a timer can call it often.
     *
     * @throws StoreException when the greydb at the location cannot be opened (it is tried again at the next call)
     */
    default String reopenIfReplaced() {
        return null;
    }

    /**
     * Records the lifetimes the engine works with in the greydb, for greylitectl ({@link GreydbLifetimes}): read
     * first, written only where a value differs, so that the many processes of one configuration (a wrapper process
     * per connection) do not each take the write lock. A store that keeps no such record does nothing.
     *
     * @throws StoreException when the greydb cannot be read or written
     */
    default void recordLifetimes(GreydbLifetimes lifetimes) {
    }

    /**
     * {@code hostClock} as the times in this greydb go: a file of one host keeps that host's times; a PostgreSQL
     * greydb shared by several hosts keeps its server's, so that a retry moved from one host to another is timed on
     * one clock however far apart the hosts' clocks are (the host's clock moved by its measured distance from the
     * server's: {@link ServerClock}). Every time a program writes in the greydb or compares with it comes from it.
     */
    default Clock sharedClock(Clock hostClock) {
        return hostClock;
    }

    /** How many decisions may usefully run at once (SQLite: one; PostgreSQL: its pool's connections). */
    int parallelism();

    /** Where the data lives, for logs ("sqlite:/var/db/greylite/greylite.db"). */
    String describe();

    /**
     * Has {@code listener} told each time the greydb's server, lost, answers again, whether a decision or a probe of
     * the store's own reached it: an engine ends its outage's log there, not at its next decision, which on a quiet
     * host came minutes later and joined the next failure, a lock's timeout say, to an outage long over. A store
     * whose server cannot be lost (SQLite) never calls it.
     */
    default void onAnswersAgain(Runnable listener) {
    }

    @Override
    void close();
}
