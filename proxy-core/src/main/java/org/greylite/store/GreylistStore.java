package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where greylisting state lives. The engine owns the algorithm; a store owns atomicity and durability:
 * every method that writes has committed when it returns, so an acknowledged decision survives a crash.
 *
 * <p>Implementations: {@link SqliteGreylistStore} (one host, one file shared by many processes) and
 * {@link PostgresGreylistStore} (one database shared by several MX hosts); {@link GreylistStores#open}
 * picks one from the location an administrator gave.
 * Methods throw {@link StoreException} when the database cannot be used.
 */
public interface GreylistStore extends AutoCloseable {

    /**
     * Reads the triplet's current row (absent if none) and applies the engine's update, atomically:
     * no other process or thread changes the row between the read and the write.
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
     * remembered behaviours not shown for {@code retryWindow}.
     *
     * @return how many rows were removed
     */
    int purgeExpired(Instant now, Duration retryWindow, Duration lifetime);

    /** Where the data lives, for logs ("sqlite:/var/db/greylite/greylite.db"). */
    String describe();

    @Override
    void close();
}
