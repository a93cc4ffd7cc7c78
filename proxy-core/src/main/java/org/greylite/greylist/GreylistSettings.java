package org.greylite.greylist;

import java.time.Duration;
import java.util.Objects;

/**
 * The tunables of the greylisting algorithm (SPEC §3).
 *
 * @param minDelay          a retry sooner than this after the last counted refusal is refused again, uncounted
 * @param retryWindow       a triplet that has not passed is forgotten this long after its first attempt
 * @param whitelistLifetime passed triplets and auto-whitelist entries live this long after their last use
 * @param clientKeys        how the client address becomes a key
 * @param failOpen          on a greydb error: accept the mail (true) or answer 451 (false)
 * @param normalizeSenders  key on the sender with SRS, BATV, +extensions and VERP numbers removed
 *                          ({@link SenderNormalizer}), so tagged retries match their first attempt
 * @param exemptRecipients  local parts never greylisted, in any domain (lower case): by default
 *                          postmaster (RFC 5321 4.5.1) and abuse (RFC 2142), which must always reach a human
 * @param whitelistMemory   how long a client the greydb found on the whitelist is answered from memory without
 *                          asking again ({@link RecentWhitelist}); zero asks the greydb at every RCPT
 * @param maxPending        the pending triplets one client key may have within the retry window: a first attempt
 *                          beyond them is refused without being recorded ({@link TripletTransition}); 0: no cap
 * @param autoWhitelistPasses the passed triplets a client key needs before it goes on the auto-whitelist
 *                          (postgrey's {@code --auto-whitelist-clients=N}): 1, the default, at its first pass;
 *                          0 never
 */
public record GreylistSettings(Duration minDelay, Duration retryWindow, Duration whitelistLifetime,
                               ClientKeys clientKeys, boolean failOpen, boolean normalizeSenders,
                               java.util.Set<String> exemptRecipients, Duration whitelistMemory,
                               int maxPending, int autoWhitelistPasses) {

    public static final java.util.Set<String> DEFAULT_EXEMPT_RECIPIENTS = java.util.Set.of("postmaster", "abuse");

    public GreylistSettings(Duration minDelay, Duration retryWindow, Duration whitelistLifetime,
                            ClientKeys clientKeys, boolean failOpen) {
        this(minDelay, retryWindow, whitelistLifetime, clientKeys, failOpen, true, DEFAULT_EXEMPT_RECIPIENTS,
                DEFAULT_WHITELIST_MEMORY, DEFAULT_MAX_PENDING, DEFAULT_AUTO_WHITELIST_PASSES);
    }

    public static final Duration DEFAULT_MIN_DELAY = Duration.ofMinutes(5);
    public static final Duration DEFAULT_RETRY_WINDOW = Duration.ofHours(24);
    public static final Duration DEFAULT_WHITELIST_LIFETIME = Duration.ofDays(36);
    public static final Duration DEFAULT_WHITELIST_MEMORY = Duration.ofSeconds(1);
    public static final int DEFAULT_MAX_PENDING = 1000;
    public static final int DEFAULT_AUTO_WHITELIST_PASSES = 1;

    public GreylistSettings {
        Objects.requireNonNull(minDelay, "minDelay");
        Objects.requireNonNull(retryWindow, "retryWindow");
        Objects.requireNonNull(whitelistLifetime, "whitelistLifetime");
        Objects.requireNonNull(clientKeys, "clientKeys");
        Objects.requireNonNull(whitelistMemory, "whitelistMemory");
        if (whitelistMemory.isNegative()) {
            throw new IllegalArgumentException("whitelist-memory must not be negative: "
                    + Durations.format(whitelistMemory));
        }
        if (maxPending < 0) {
            throw new IllegalArgumentException("max-pending must be 0 (no cap) or more: " + maxPending);
        }
        if (autoWhitelistPasses < 0) {
            throw new IllegalArgumentException("auto-whitelist-clients must be 0 (off) or more: " + autoWhitelistPasses);
        }
        exemptRecipients = exemptRecipients == null ? java.util.Set.of() : java.util.Set.copyOf(exemptRecipients);
        if (whitelistLifetime.isZero() || whitelistLifetime.isNegative()) {
            // Taken for "no auto-whitelist" or "for ever", 0 forgot every passed triplet at its first purge, so that
            // each message of a correspondent who had passed was greylisted again as a first attempt.
            throw new IllegalArgumentException("whitelist-lifetime must be longer than 0 (" + Durations.format(whitelistLifetime)
                    + " forgets every passed triplet and auto-whitelisted client at once, and each message is greylisted"
                    + " again); auto-whitelist-clients sets when a client is whitelisted");
        }
        if (retryWindow.compareTo(minDelay) <= 0) {
            throw new IllegalArgumentException("retry-window (" + Durations.format(retryWindow)
                    + ") must be longer than min-delay (" + Durations.format(minDelay) + "), or no retry could ever pass");
        }
    }

    public static GreylistSettings defaults() {
        return new GreylistSettings(DEFAULT_MIN_DELAY, DEFAULT_RETRY_WINDOW, DEFAULT_WHITELIST_LIFETIME,
                ClientKeys.smart(), true);
    }

    /** postmaster@ and abuse@ (by default) must always reach a human: never greylisted, in any domain. */
    public boolean exemptRecipient(String recipient) {
        if (exemptRecipients.isEmpty()) {
            return false;
        }
        return exemptRecipients.contains(RecipientLocalPart.of(recipient));
    }

    public GreylistSettings withMinDelay(Duration d) {
        return new GreylistSettings(d, retryWindow, whitelistLifetime, clientKeys, failOpen, normalizeSenders,
                exemptRecipients, whitelistMemory, maxPending, autoWhitelistPasses);
    }

    public GreylistSettings withRetryWindow(Duration d) {
        return new GreylistSettings(minDelay, d, whitelistLifetime, clientKeys, failOpen, normalizeSenders,
                exemptRecipients, whitelistMemory, maxPending, autoWhitelistPasses);
    }

    public GreylistSettings withWhitelistLifetime(Duration d) {
        return new GreylistSettings(minDelay, retryWindow, d, clientKeys, failOpen, normalizeSenders,
                exemptRecipients, whitelistMemory, maxPending, autoWhitelistPasses);
    }

    public GreylistSettings withClientKeys(ClientKeys k) {
        return new GreylistSettings(minDelay, retryWindow, whitelistLifetime, k, failOpen, normalizeSenders,
                exemptRecipients, whitelistMemory, maxPending, autoWhitelistPasses);
    }

    public GreylistSettings withNormalizeSenders(boolean on) {
        return new GreylistSettings(minDelay, retryWindow, whitelistLifetime, clientKeys, failOpen, on,
                exemptRecipients, whitelistMemory, maxPending, autoWhitelistPasses);
    }

    public GreylistSettings withExemptRecipients(java.util.Set<String> localParts) {
        return new GreylistSettings(minDelay, retryWindow, whitelistLifetime, clientKeys, failOpen, normalizeSenders,
                localParts, whitelistMemory, maxPending, autoWhitelistPasses);
    }

    public GreylistSettings withFailOpen(boolean open) {
        return new GreylistSettings(minDelay, retryWindow, whitelistLifetime, clientKeys, open, normalizeSenders,
                exemptRecipients, whitelistMemory, maxPending, autoWhitelistPasses);
    }

    public GreylistSettings withWhitelistMemory(Duration d) {
        return new GreylistSettings(minDelay, retryWindow, whitelistLifetime, clientKeys, failOpen, normalizeSenders,
                exemptRecipients, d, maxPending, autoWhitelistPasses);
    }

    public GreylistSettings withMaxPending(int cap) {
        return new GreylistSettings(minDelay, retryWindow, whitelistLifetime, clientKeys, failOpen, normalizeSenders,
                exemptRecipients, whitelistMemory, cap, autoWhitelistPasses);
    }

    public GreylistSettings withAutoWhitelistPasses(int n) {
        return new GreylistSettings(minDelay, retryWindow, whitelistLifetime, clientKeys, failOpen, normalizeSenders,
                exemptRecipients, whitelistMemory, maxPending, n);
    }
}
