package org.greylite.greylist;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.greylite.greylist.Verdict.Action;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.StoredState;
import org.greylite.store.Triplet;
import org.greylite.store.TripletUpdate;
import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.Suspicion;

/**
 * The state change of SPEC §3 for one attempt, given what the greydb holds: quick and free of I/O of its own,
 * since it runs inside the greydb's transaction while the triplet is locked. Its one further question, the client
 * key's count of pending triplets, goes to the greydb through the state, in that transaction, and only for a new
 * triplet: counting for every RCPT would cost a query the decisions of known clients never need.
 *
 * <h2>Why N comes in two versions</h2>
 * The retryinterval behaviour (a retry sooner than greylite's schedule) depends on the triplet's row, which
 * is read inside the transaction; N depends on the behaviour. Evaluating the suspicion rules in the
 * transaction would run them, and whatever reload or lookup they might do, under the greydb's lock. So the
 * engine evaluates them beforehand for both values of the behaviour (pure, in memory, microseconds), and
 * the transition picks one. The alternative of reading the row in a first transaction and deciding in a
 * second would let another process change the row in between.
 *
 * @param plain    N without the retryinterval behaviour
 * @param retrying N with it (the same as {@code plain} when the client shows it already)
 */
record TripletTransition(GreylistSettings settings, Duration renewAfter, String key, Instant now,
                         Suspicion plain, Suspicion retrying) {

    TripletUpdate<Verdict> apply(StoredState state) {
        if (state.whitelisted()) {
            return new TripletUpdate<>(null, null, Verdict.whitelisted(key));
        }
        boolean retryingNow = retryingTooSoon(state.triplet());
        // The remembered behaviours are read only when they can change N: without a rule on retryinterval (the
        // default) both versions are the same, and the query would decide nothing.
        Suspicion s = retryingNow || !retrying.equals(plain) && remembered(state.behaviours().read()) ? retrying : plain;
        TripletUpdate<Verdict> update = transition(state.triplet(), s, state.pending(), state.passed());
        return retryingNow ? update.remembering(Behaviour.RETRYINTERVAL.keyword(), now) : update;
    }

    /**
     * The state change for one attempt with N from {@code s}; {@code pending} is asked only for a new triplet,
     * {@code passed} only at a pass that could whitelist the client after more than one pass.
     */
    TripletUpdate<Verdict> transition(Optional<Triplet> current, Suspicion s, StoredState.PendingCount pending,
                                      StoredState.PassedCount passed) {
        int n = s.refusals();
        Instant whitelistAt = s.suspicious() || settings.autoWhitelistPasses() == 0 ? null : now;
        Triplet held = current.filter(x -> !expired(x)).orElse(null);
        // Times later than the clock are taken as now (see RecordedTimes.latestAt), and the row is written back so
        // brought back: left as it was, an uncounted retry would be measured from now again at every attempt.
        Triplet t = held == null ? null : held.notAfter(RecordedTimes.latestAt(now));
        Triplet broughtBack = t != held ? t : null;
        if (t != null && t.passed()) {
            Triplet renewed = broughtBack != null || Duration.between(t.lastSeen(), now).compareTo(renewAfter) >= 0
                    ? new Triplet(t.refusals(), t.firstSeen(), now, t.passedAt()) : null;
            // A triplet never refused passed at once, by a suspicion line of N = 0: a suspicious pass, which earns
            // nothing (SPEC §3.6), and its reuse by a client that no line matches now shows no retry either. A
            // line on something outside the triplet (the raw sender: SRS0=..=accountant.example=x@other.example
            // is keyed as x@accountant.example, the HELO, a behaviour) was otherwise matched once and avoided the
            // next time, and the client was on the auto-whitelist two connections later, having waited for nothing.
            Instant reuseWhitelistAt = t.refusals() > 0 ? whitelistAt : null;
            return new TripletUpdate<>(renewed, earned(reuseWhitelistAt, passed, 0),
                    new Verdict(Action.ACCEPT, Reason.KNOWN, key, t.refusals() + 1, n, s.rule(), 0));
        }
        if (n == 0) {
            Triplet passing = t == null ? new Triplet(0, now, now, now) : new Triplet(t.refusals(), t.firstSeen(), now, now);
            return new TripletUpdate<>(passing, earned(whitelistAt, passed, 1),
                    new Verdict(Action.ACCEPT, Reason.NO_DELAY, key, passing.refusals() + 1, 0, s.rule(), 0));
        }
        // A counted refusal is recorded rounded up to the second and a retry measured from it at the clock's
        // precision, so that no retry counts before min-delay has passed (see RecordedTimes).
        Instant refusedAt = RecordedTimes.refusalAt(now);
        long retryAfter = RecordedTimes.secondsUntil(RecordedTimes.retryCountsFrom(refusedAt, settings.minDelay()), now);
        if (t == null) {
            if (overPendingCap(pending)) {
                return new TripletUpdate<>(null, null, Verdict.tooManyPending(key, n, s.rule(), retryAfter));
            }
            return new TripletUpdate<>(new Triplet(1, refusedAt, refusedAt, null), null,
                    new Verdict(Action.GREYLIST, Reason.FIRST_ATTEMPT, key, 1, n, s.rule(), retryAfter));
        }
        Instant countsFrom = RecordedTimes.retryCountsFrom(t.lastSeen(), settings.minDelay());
        if (now.isBefore(countsFrom)) {
            // Not counted: the attempt's number is the one the next counted attempt will have too.
            return new TripletUpdate<>(broughtBack, null, new Verdict(Action.GREYLIST, Reason.EARLY_RETRY, key, t.refusals() + 1,
                    n, s.rule(), RecordedTimes.secondsUntil(countsFrom, now)));
        }
        if (t.refusals() >= n) {
            // Without a min-delay a retry may pass in the second its refusal was recorded in, rounded up: the pass is
            // recorded then, not before it (greylitectl showed a negative time to pass, passed before first seen).
            Instant passedAt = now.isBefore(t.lastSeen()) ? t.lastSeen() : now;
            return new TripletUpdate<>(new Triplet(t.refusals(), t.firstSeen(), passedAt, passedAt), earned(whitelistAt, passed, 1),
                    new Verdict(Action.ACCEPT, Reason.PASSED, key, t.refusals() + 1, n, s.rule(), 0));
        }
        return new TripletUpdate<>(new Triplet(t.refusals() + 1, t.firstSeen(), refusedAt, null), null,
                new Verdict(Action.GREYLIST, Reason.MORE_ATTEMPTS, key, t.refusals() + 1, n, s.rule(), retryAfter));
    }

    /**
     * {@code at} when the client key has earned the auto-whitelist, else null. With the default of one pass, at
     * every pass, without a query. With N passes (postgrey's {@code --auto-whitelist-clients=N}), when the
     * passed triplets of the key, {@code passingNow} (1 or 0) of them not yet written, number N: distinct
     * triplets that passed and are still remembered, so one triplet retried N times earns nothing, and a pass
     * that has expired no longer counts.
     */
    private Instant earned(Instant at, StoredState.PassedCount passed, int passingNow) {
        int needed = settings.autoWhitelistPasses();
        if (at == null || needed <= 1) {
            return at;
        }
        int before = needed - passingNow;
        return passed.upTo(now.minus(settings.whitelistLifetime()), before) >= before ? at : null;
    }

    /**
     * The client key has as many pending triplets as {@link GreylistSettings#maxPending} allows. Refusing the new
     * one temporarily without writing it bounds what one client can put in the greydb; a real bulk sender is
     * slowed, not lost: its retries pass as its earlier triplets pass, and its first pass puts it on the
     * auto-whitelist. Refusing for good (5xx) was rejected, since the cap can be reached by legitimate mail.
     */
    private boolean overPendingCap(StoredState.PendingCount pending) {
        int cap = settings.maxPending();
        return cap > 0 && pending.upTo(now.minus(settings.retryWindow()), cap) >= cap;
    }

    /**
     * A retry of a pending triplet sooner than greylite's schedule allows (SPEC §3). Not when the first attempt is
     * held later than the clock allows: how long ago it was cannot be told (see RecordedTimes.latestAt), and a
     * behaviour that makes the client suspicious is not to be inferred from a clock that stepped back.
     */
    private boolean retryingTooSoon(Optional<Triplet> current) {
        return current.filter(t -> !t.passed() && !expired(t) && !t.firstSeen().isAfter(RecordedTimes.latestAt(now)))
                .map(t -> Duration.between(t.firstSeen(), now).compareTo(RetrySchedule.minimumSinceFirst(t.refusals())) < 0)
                .orElse(false);
    }

    /** The client showed retryinterval on an earlier connection, within the retry window. */
    private boolean remembered(Map<String, Instant> behaviours) {
        Instant seen = behaviours.get(Behaviour.RETRYINTERVAL.keyword());
        return seen != null && seen.plus(settings.retryWindow()).isAfter(now);
    }

    /** An expired row counts as absent (SPEC §3): rows are deleted later by the scheduled purge. */
    private boolean expired(Triplet t) {
        return t.passed()
                ? !t.lastSeen().plus(settings.whitelistLifetime()).isAfter(now)
                : !t.firstSeen().plus(settings.retryWindow()).isAfter(now);
    }
}
