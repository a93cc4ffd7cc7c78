package org.greylite.store;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What the greydb holds for one decision, read inside its transaction.
 *
 * @param whitelisted true when the client key is on the whitelist (then nothing else was read)
 * @param behaviours  the behaviours remembered for the client key, with when each was last shown (expired
 *                    ones included until the purge removes them)
 * @param triplet     the triplet's row, absent when there is none
 */
public record StoredState(boolean whitelisted, Map<String, Instant> behaviours, Optional<Triplet> triplet) {

    public StoredState {
        behaviours = Map.copyOf(behaviours);
    }

    static final StoredState WHITELISTED = new StoredState(true, Map.of(), Optional.empty());
}
