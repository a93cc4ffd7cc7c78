package org.greylite.suspicion;

/**
 * The outcome of evaluating the suspicion rules for one RCPT.
 *
 * @param refusals N of SPEC §3: how many times the triplet is refused before it may pass
 * @param rule     the line that matched, or {@code null} when none did and the default applies
 */
public record Suspicion(int refusals, RuleMatch rule) {

    /** No line matched: refused once, and the client may be auto-whitelisted. */
    public static final Suspicion NONE = new Suspicion(1, null);

    public Suspicion {
        if (refusals < 0) {
            throw new IllegalArgumentException("refusals must be >= 0: " + refusals);
        }
    }

    /** A client that matched any line (even one with N = 0) is never auto-whitelisted. */
    public boolean suspicious() {
        return rule != null;
    }
}
