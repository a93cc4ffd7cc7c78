package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What one decision asks of the greydb, in its single transaction.
 *
 * @param triplet    the triplet decided on; its client key is the whitelist's and the behaviours' key
 * @param now        the decision's time (the engine's clock)
 * @param lifetime   how long an auto-whitelist entry lives after its last use
 * @param renewAfter a whitelist hit renews the entry only once it is this old (a write spared per RCPT)
 * @param askedNanos {@link System#nanoTime()} when the decision was asked: the waits for the greydb end
 *                   the busy timeout after it, however long the decision queued before it started
 */
public record DecisionQuery(TripletKey triplet, Instant now, Duration lifetime, Duration renewAfter, long askedNanos) {

    public DecisionQuery {
        Objects.requireNonNull(triplet, "triplet");
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(lifetime, "lifetime");
        Objects.requireNonNull(renewAfter, "renewAfter");
    }
}
