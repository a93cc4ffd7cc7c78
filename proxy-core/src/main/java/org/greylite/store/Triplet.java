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

    /** This triplet with every time later than {@code latest} brought back to it; itself when none is. */
    public Triplet notAfter(Instant latest) {
        if (!firstSeen.isAfter(latest) && !lastSeen.isAfter(latest) && (passedAt == null || !passedAt.isAfter(latest))) {
            return this;
        }
        return new Triplet(refusals, earlier(firstSeen, latest), earlier(lastSeen, latest),
                passedAt == null ? null : earlier(passedAt, latest));
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isAfter(b) ? b : a;
    }
}
