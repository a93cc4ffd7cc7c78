package org.greylite.store;

/**
 * What a decision does to the greydb, returned by the engine inside the store's transaction.
 *
 * @param write           the triplet's new state, or null to leave the row as it is
 * @param whitelistAt     when not null: put the client key on the auto-whitelist, used at this
 *                        time, in the same transaction
 * @param result          the value the transaction returns to the engine
 */
public record TripletUpdate<T>(Triplet write, java.time.Instant whitelistAt, T result) {
}
