package org.greylite.store;

import java.time.Instant;

/**
 * The state of one triplet in the greydb.
 *
 * @param refusals  how many refusals were counted
 * @param firstSeen the first attempt
 * @param lastSeen  the last counted refusal; once passed, the last delivery
 * @param passedAt  when it first passed, or null while it is pending
 */
public record Triplet(int refusals, Instant firstSeen, Instant lastSeen, Instant passedAt) {

    public boolean passed() {
        return passedAt != null;
    }
}
