package org.greylite.greylist;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

import org.greylite.suspicion.RuleMatch;

/**
 * What the greylisting engine decided for one RCPT, and why: a value the relay turns into a reply
 * and the log turns into a line.
 *
 * @param action    what to do with the RCPT
 * @param reason    why
 * @param clientKey the client identity used (address or network)
 * @param attempt   this attempt's number, counting it: the refusals the greydb counted for the triplet before it,
 *                  plus one (1 = first). An early retry is not counted, so the attempt after it has the same number;
 *                  a triplet that has passed keeps the number it passed at. 0 when no triplet was looked at
 * @param refusalsNeeded N: how many times the triplet is refused before it may pass (SPEC 3), so it passes at
 *                  attempt N + 1; -1 when no triplet was looked at
 * @param rule      the suspicion line that set N, or null
 * @param retryAfterSeconds for a refusal: seconds until a retry can count, else 0
 */
public record Verdict(Action action, Reason reason, String clientKey, int attempt, int refusalsNeeded,
                      RuleMatch rule, long retryAfterSeconds) {

    /** What happens to the RCPT. */
    public enum Action {
        /** Forward it to the upstream. */
        ACCEPT,
        /** Answer the greylisting temporary failure. */
        GREYLIST,
        /** Answer a temporary failure because the decision could not be taken (greydb down, fail-closed). */
        TEMPFAIL,
        /** Refuse for good: the client is on the administrators' blacklist. */
        REJECT;

        /** The name logs and metrics give it: {@code accept}, {@code greylist}, {@code tempfail}, {@code reject}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Why; the names appear in logs and metrics. Each reason comes with the actions it can have, and says whether its
     * verdicts carry the suspicion N of a triplet: a metric can then show every pair from the start, at 0, and a
     * verdict made with a pair that is not listed here is refused when it is made, so the list stays true.
     */
    public enum Reason {
        SKIPPED("skipped", false, Action.ACCEPT),
        EXEMPT_RECIPIENT("exempt-recipient", false, Action.ACCEPT),
        BLACKLISTED("blacklisted", false, Action.REJECT),
        WHITELISTED("whitelisted", false, Action.ACCEPT),
        KNOWN_SENDER("known-sender", false, Action.ACCEPT),
        PASSED("passed", true, Action.ACCEPT),
        KNOWN("known-triplet", true, Action.ACCEPT),
        NO_DELAY("no-delay-rule", true, Action.ACCEPT),
        FIRST_ATTEMPT("first-attempt", true, Action.GREYLIST),
        EARLY_RETRY("early-retry", true, Action.GREYLIST),
        MORE_ATTEMPTS("more-attempts-needed", true, Action.GREYLIST),
        TOO_MANY_PENDING("too-many-pending", true, Action.GREYLIST),
        /**
         * Accepted when failing open, a temporary failure with --fail-closed (and for a RCPT that came as the server
         * stops).
         */
        STORE_ERROR("store-error", false, Action.ACCEPT, Action.TEMPFAIL);

        private final String label;
        private final boolean carriesN;
        private final Set<Action> actions;

        Reason(String label, boolean carriesN, Action first, Action... more) {
            this.label = label;
            this.carriesN = carriesN;
            this.actions = Collections.unmodifiableSet(EnumSet.of(first, more));
        }

        public String label() {
            return label;
        }

        /** The actions a verdict for this reason can have. */
        public Set<Action> actions() {
            return actions;
        }

        /** True when its verdicts were decided by a triplet, with N from the suspicion rules (else N is -1). */
        public boolean carriesN() {
            return carriesN;
        }
    }

    public Verdict {
        if (!reason.actions().contains(action)) {
            throw new IllegalArgumentException("a verdict for " + reason.label() + " cannot be " + action.label());
        }
    }

    // Named factories: the verdicts that look at no triplet. Those that do are made by the engine's transition.

    /** Greylisting does not apply to this RCPT (authenticated, RELAYCLIENT, a DNS whitelist...). */
    public static Verdict skipped(String clientKey) {
        return noTriplet(Action.ACCEPT, Reason.SKIPPED, clientKey);
    }

    /** postmaster@ and the like: never greylisted. */
    public static Verdict exemptRecipient(String clientKey) {
        return noTriplet(Action.ACCEPT, Reason.EXEMPT_RECIPIENT, clientKey);
    }

    /** On the administrators' blacklist. */
    public static Verdict blacklisted(String clientKey) {
        return noTriplet(Action.REJECT, Reason.BLACKLISTED, clientKey);
    }

    /** On a whitelist (the administrators' or the automatic one). */
    public static Verdict whitelisted(String clientKey) {
        return noTriplet(Action.ACCEPT, Reason.WHITELISTED, clientKey);
    }

    /** A known sender (the shipped list or the administrator's files). */
    public static Verdict knownSender(String clientKey) {
        return noTriplet(Action.ACCEPT, Reason.KNOWN_SENDER, clientKey);
    }

    /** The greydb could not decide: accepted when failing open, else a temporary failure. */
    public static Verdict storeError(String clientKey, boolean failOpen) {
        return noTriplet(failOpen ? Action.ACCEPT : Action.TEMPFAIL, Reason.STORE_ERROR, clientKey);
    }

    /**
     * A first attempt of a client key that has {@link GreylistSettings#maxPending} triplets pending already:
     * greylisted like any first attempt, but not recorded, so its retry is a first attempt again.
     */
    public static Verdict tooManyPending(String clientKey, int refusalsNeeded, RuleMatch rule, long retryAfterSeconds) {
        return new Verdict(Action.GREYLIST, Reason.TOO_MANY_PENDING, clientKey, 1, refusalsNeeded, rule,
                retryAfterSeconds);
    }

    private static Verdict noTriplet(Action action, Reason reason, String clientKey) {
        return new Verdict(action, reason, clientKey, 0, -1, null, 0);
    }

    public boolean accepted() {
        return action == Action.ACCEPT;
    }
}
