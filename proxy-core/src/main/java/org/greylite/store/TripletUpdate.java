package org.greylite.store;

import java.time.Instant;

/**
 * What a decision does to the greydb, returned by the engine inside the store's transaction.
 *
 * @param write           the triplet's new state, or null to leave the row as it is
 * @param whitelistAt     when not null: put the client key on the auto-whitelist, used at this
 *                        time, in the same transaction
 * @param result          the value the transaction returns to the engine
 * @param remember        when not null: a behaviour the client showed, recorded for its later
 *                        connections in the same transaction
 */
public record TripletUpdate<T>(Triplet write, Instant whitelistAt, T result, Remembered remember) {

    /** A behaviour keyword (e.g. "retryinterval") and when the client showed it. */
    public record Remembered(String behaviour, Instant at) {
    }

    public TripletUpdate(Triplet write, Instant whitelistAt, T result) {
        this(write, whitelistAt, result, null);
    }

    /** The same update, also remembering that the client showed {@code behaviour} at {@code at}. */
    public TripletUpdate<T> remembering(String behaviour, Instant at) {
        return new TripletUpdate<>(write, whitelistAt, result, new Remembered(behaviour, at));
    }
}
