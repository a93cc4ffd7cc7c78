package org.greylite.greylist;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import org.greylite.greylist.Verdict.Action;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreylistStore;
import org.greylite.store.StoreException;
import org.greylite.store.Triplet;
import org.greylite.store.TripletKey;
import org.greylite.store.TripletUpdate;
import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The greylisting algorithm of SPEC §3, for one RCPT at a time. Blocking: it reads and writes the
 * greydb, so the network engine calls it off its I/O threads; {@link #decideFromMemory} is the part that
 * never blocks.
 *
 * <p>N (from the suspicion rules) is how many times a triplet is refused before it may pass. A first
 * attempt is recorded and refused; a retry sooner than min-delay after the last counted refusal is
 * refused without counting; a later one passes once N refusals were counted. A passing client that
 * matched no suspicion line goes on the auto-whitelist.
 */
public final class Greylister {

    private static final Logger LOG = LoggerFactory.getLogger(Greylister.class);

    private final GreylistStore store;
    private final SuspicionPolicy suspicion;
    private final GreylistSettings settings;
    private final Clock clock;
    private final Duration renewAfter;
    private final DecisionListener listener;
    private final AdminLists adminLists;
    private final KnownSenders knownSenders;
    private final RecentWhitelist recentlyWhitelisted;

    public Greylister(GreylistStore store, SuspicionPolicy suspicion, GreylistSettings settings, Clock clock,
                      DecisionListener listener) {
        this(store, suspicion, settings, clock, listener, KnownSenders.NONE);
    }

    /** @param knownSenders clients that skip greylisting (the shipped list and the administrator's files) */
    public Greylister(GreylistStore store, SuspicionPolicy suspicion, GreylistSettings settings, Clock clock,
                      DecisionListener listener, KnownSenders knownSenders) {
        this.knownSenders = Objects.requireNonNull(knownSenders, "knownSenders");
        this.store = Objects.requireNonNull(store, "store");
        this.suspicion = Objects.requireNonNull(suspicion, "suspicion");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
        // Renewing a whitelist entry on every delivery would cost a write per RCPT. Renewing it once
        // it is an hour old (or 1% of the lifetime, if shorter) moves its expiry by at most that much.
        Duration hundredth = settings.whitelistLifetime().dividedBy(100);
        this.renewAfter = hundredth.compareTo(Duration.ofHours(1)) < 0 ? hundredth : Duration.ofHours(1);
        this.adminLists = new AdminLists(store, ADMIN_LIST_REFRESH);
        this.recentlyWhitelisted = new RecentWhitelist(settings.whitelistMemory());
    }

    /** How stale the in-memory copy of the administrators' white- and blacklists may get. */
    static final Duration ADMIN_LIST_REFRESH = Duration.ofSeconds(5);

    public GreylistSettings settings() {
        return settings;
    }

    /** Decides, records the decision durably, tells the listener, and returns the verdict. */
    public Verdict decide(RcptRequest request) {
        Verdict v = evaluate(request);
        listener.decided(request, v);
        return v;
    }

    /**
     * Decides from memory alone when that is enough, and tells the listener as {@link #decide} does; returns
     * null when the greydb must be asked (then call {@link #decide}, off the network threads). Never blocks:
     * a network thread may call it. It answers what {@link #decide} would, up to the staleness of the copies
     * in memory: the administrators' lists ({@link #ADMIN_LIST_REFRESH}, as for {@code decide}) and the
     * clients the greydb said were whitelisted, remembered {@link GreylistSettings#whitelistMemory} (see {@link RecentWhitelist}).
     */
    public Verdict decideFromMemory(RcptRequest request) {
        String key = settings.clientKeys().keyFor(request.client(), request.facts().ptrName());
        Verdict v = fromMemory(request, key, clock.instant(), false);
        if (v != null) {
            listener.decided(request, v);
        }
        return v;
    }

    private Verdict evaluate(RcptRequest request) {
        String key = settings.clientKeys().keyFor(request.client(), request.facts().ptrName());
        Instant now = clock.instant();
        try {
            Verdict known = fromMemory(request, key, now, true);
            if (known != null) {
                return known;
            }
            if (store.whitelisted(key, now, settings.whitelistLifetime(), renewAfter)) {
                recentlyWhitelisted.remember(key, now);
                return new Verdict(Action.ACCEPT, Reason.WHITELISTED, key, 0, -1, null, 0);
            }
            boolean rememberedRetry = rememberedRetryInterval(key, now);
            String sender = settings.normalizeSenders() ? SenderNormalizer.normalize(request.sender()) : lower(request.sender());
            TripletKey triplet = new TripletKey(key, sender, lower(request.recipient()));
            return store.update(triplet, current -> {
                // The retryinterval behaviour depends on the triplet's row, so suspicion is evaluated
                // here, inside the transaction (it is pure and takes microseconds).
                boolean retryingNow = retryingTooSoon(current, now);
                ClientFacts facts = retryingNow || rememberedRetry
                        ? request.facts().withBehaviour(Behaviour.RETRYINTERVAL) : request.facts();
                TripletUpdate<Verdict> update = transition(current, suspicion.evaluate(facts), now, key);
                return retryingNow ? update.remembering(Behaviour.RETRYINTERVAL.keyword(), now) : update;
            });
        } catch (StoreException e) {
            LOG.error("greydb failure ({}), {}: {}", store.describe(),
                    settings.failOpen() ? "accepting the RCPT (fail open)" : "answering 451 (fail closed)", e.getMessage());
            return new Verdict(settings.failOpen() ? Action.ACCEPT : Action.TEMPFAIL, Reason.STORE_ERROR, key, 0, -1, null, 0);
        }
    }

    /**
     * The checks of SPEC §3 that need no greydb query, in their order; null when they do not decide. The
     * administrators' blacklist comes before any whitelist, the recently whitelisted clients included.
     *
     * @param mayLoad true on the greydb's thread: reread the administrators' lists when due; false: a copy
     *                due for a refresh decides nothing (null)
     */
    private Verdict fromMemory(RcptRequest request, String key, Instant now, boolean mayLoad) {
        if (request.skip() != null) {
            return Verdict.skipped(key);
        }
        if (exempt(request.recipient())) {
            return new Verdict(Action.ACCEPT, Reason.EXEMPT_RECIPIENT, key, 0, -1, null, 0);
        }
        AdminLists.Listing listing = mayLoad ? adminLists.lookup(request.client(), now)
                : adminLists.lookupLoaded(request.client(), now);
        if (listing == null) {
            return null;
        }
        switch (listing) {
            case BLACK:
                return new Verdict(Action.REJECT, Reason.BLACKLISTED, key, 0, -1, null, 0);
            case WHITE:
                return new Verdict(Action.ACCEPT, Reason.WHITELISTED, key, 0, -1, null, 0);
            default:
                break;
        }
        if (knownSenders.match(request.client(), request.facts().ptrName()).isPresent()) {
            return new Verdict(Action.ACCEPT, Reason.KNOWN_SENDER, key, 0, -1, null, 0);
        }
        if (recentlyWhitelisted.contains(key, now)) {
            return new Verdict(Action.ACCEPT, Reason.WHITELISTED, key, 0, -1, null, 0);
        }
        return null;
    }

    /** The state change for one attempt: pure, so the store can run it inside its transaction. */
    TripletUpdate<Verdict> transition(Optional<Triplet> current, Suspicion s, Instant now, String key) {
        int n = s.refusals();
        Instant whitelistAt = s.suspicious() ? null : now;
        Triplet t = current.filter(x -> !expired(x, now)).orElse(null);
        if (t != null && t.passed()) {
            Triplet renewed = Duration.between(t.lastSeen(), now).compareTo(renewAfter) >= 0
                    ? new Triplet(t.refusals(), t.firstSeen(), now, t.passedAt()) : null;
            return new TripletUpdate<>(renewed, whitelistAt,
                    new Verdict(Action.ACCEPT, Reason.KNOWN, key, t.refusals() + 1, n, s.rule(), 0));
        }
        if (n == 0) {
            Triplet passed = t == null ? new Triplet(0, now, now, now) : new Triplet(t.refusals(), t.firstSeen(), now, now);
            return new TripletUpdate<>(passed, whitelistAt,
                    new Verdict(Action.ACCEPT, Reason.NO_DELAY, key, passed.refusals() + 1, 0, s.rule(), 0));
        }
        long minDelay = settings.minDelay().getSeconds();
        if (t == null) {
            return new TripletUpdate<>(new Triplet(1, now, now, null), null,
                    new Verdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, key, 1, n, s.rule(), minDelay));
        }
        long since = Duration.between(t.lastSeen(), now).getSeconds();
        if (since < minDelay) {
            return new TripletUpdate<>(null, null,
                    new Verdict(Action.GREYLIST, Reason.EARLY_RETRY, key, t.refusals(), n, s.rule(), minDelay - since));
        }
        if (t.refusals() >= n) {
            return new TripletUpdate<>(new Triplet(t.refusals(), t.firstSeen(), now, now), whitelistAt,
                    new Verdict(Action.ACCEPT, Reason.PASSED, key, t.refusals() + 1, n, s.rule(), 0));
        }
        return new TripletUpdate<>(new Triplet(t.refusals() + 1, t.firstSeen(), now, null), null,
                new Verdict(Action.GREYLIST, Reason.MORE_ATTEMPTS, key, t.refusals() + 1, n, s.rule(), minDelay));
    }

    /** A retry of a pending triplet sooner than greylite's schedule allows (SPEC §3). */
    private boolean retryingTooSoon(Optional<Triplet> current, Instant now) {
        return current.filter(t -> !t.passed() && !expired(t, now))
                .map(t -> Duration.between(t.firstSeen(), now).compareTo(RetrySchedule.minimumSinceFirst(t.refusals())) < 0)
                .orElse(false);
    }

    /** The client showed retryinterval on an earlier connection, within the retry window. */
    private boolean rememberedRetryInterval(String key, Instant now) {
        Instant seen = store.rememberedBehaviours(key).get(Behaviour.RETRYINTERVAL.keyword());
        return seen != null && seen.plus(settings.retryWindow()).isAfter(now);
    }

    /** An expired row counts as absent (SPEC §3): rows are deleted later by the scheduled purge. */
    private boolean expired(Triplet t, Instant now) {
        return t.passed()
                ? !t.lastSeen().plus(settings.whitelistLifetime()).isAfter(now)
                : !t.firstSeen().plus(settings.retryWindow()).isAfter(now);
    }

    /** Removes expired rows now; for the scheduled clean-up. */
    public int purgeExpired() {
        return store.purgeExpired(clock.instant(), settings.retryWindow(), settings.whitelistLifetime());
    }

    /** postmaster@ and abuse@ (by default) must always reach a human: never greylisted, in any domain. */
    private boolean exempt(String recipient) {
        if (settings.exemptRecipients().isEmpty()) {
            return false;
        }
        int at = recipient.lastIndexOf('@');
        String local = (at < 0 ? recipient : recipient.substring(0, at)).toLowerCase(Locale.ROOT);
        return settings.exemptRecipients().contains(local);
    }

    private static String lower(String address) {
        return address.toLowerCase(Locale.ROOT);
    }
}
