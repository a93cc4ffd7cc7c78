package org.greylite.policy;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.net.AddressText;
import org.greylite.store.ForwardingGreylistStore;
import org.greylite.store.GreylistStore;
import org.greylite.store.Triplet;
import org.greylite.store.TripletUpdate;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.SuspicionPolicy;

/**
 * The one place where the policy service meets the greylisting engine: it builds the {@link Greylister},
 * turns a {@link Query} into the engine's request and the engine's {@link Verdict} into an {@link Outcome}.
 * Everything else in this module speaks in queries and outcomes, so a change of the engine's API is a change
 * of this class alone.
 *
 * <p>Blocking: a decision reads and writes the greydb. Thread-safe as the engine is (a PostgreSQL greydb is
 * decided on several threads; an SQLite one on one).
 */
final class PolicyDecisions implements AutoCloseable {

    /**
     * What to decide: one recipient of one message, as Postfix described it.
     *
     * @param skip why greylisting does not apply, or null: {@code dnswl:ZONE}, or a postgrey whitelist's
     *             {@code whitelist-clients FILE:LINE} or {@code whitelist-recipients FILE:LINE}
     */
    record Query(InetAddress client, String ptrName, String helo, String sender, String recipient, String skip) {
    }

    /** What was decided, in the policy service's terms. */
    record Outcome(Kind kind, long seconds) {

        /** In order of severity: a message with several recipients is answered for its most severe one. */
        enum Kind {
            /** Nothing to say: the RCPT goes on to the later restrictions. */
            PASS,
            /** The retry that ends a delay passed; {@code seconds} is how long the triplet was delayed. */
            PASSED_AFTER_DELAY,
            /** Greylisted; {@code seconds} until a retry can count. */
            GREYLIST,
            /** No decision could be taken (greydb failure, fail-closed). */
            TEMPFAIL,
            /** The client is on the administrators' blacklist. */
            REJECT
        }
    }

    private final GreylistStore store;
    private final Greylister greylister;
    private final Clock clock;
    private final FirstSeen firstSeen;

    /** @param known the known senders in force at each decision (read again at SIGHUP) */
    PolicyDecisions(GreylistStore store, SuspicionPolicy rules, GreylistSettings settings, Supplier<KnownSenders> known,
                    Clock clock, PolicyMetrics metrics) {
        this.store = store;
        this.clock = store.sharedClock(clock); // the greydb's, as the first attempt's time it reads there
        this.firstSeen = new FirstSeen(store);
        DecisionListener counted = (request, v) -> metrics.decided(v);
        this.greylister = new Greylister(firstSeen, rules, settings, clock, new DecisionLog().andThen(counted), known,
                "action=DEFER_IF_PERMIT");
    }

    Outcome decide(Query q) {
        // The engine knows the reasons to skip that greylite(8) is told (RELAYCLIENT, WHITELISTED, a DNSWL zone), not
        // postgrey's files: a postgrey whitelisting is told as tcprules would tell it, WHITELISTED (PolicyService logs
        // the file and line). Passed through as it was, the engine refused it as no reason to skip, and the request
        // was answered DUNNO by the error handler, uncounted, with an ERROR line per whitelisted RCPT.
        boolean postgreyList = q.skip() != null && q.skip().startsWith("whitelist-");
        ClientFacts facts = new ClientFacts(AddressText.of(q.client()), q.ptrName(), q.helo(), q.sender(),
                q.recipient(), Map.of(), Set.of());
        Verdict v = greylister.decide(new RcptRequest(q.client(), facts, postgreyList ? "WHITELISTED" : q.skip()));
        switch (v.action()) {
            case GREYLIST:
                return new Outcome(Outcome.Kind.GREYLIST, v.retryAfterSeconds());
            case TEMPFAIL:
                return new Outcome(Outcome.Kind.TEMPFAIL, 0);
            case REJECT:
                return new Outcome(Outcome.Kind.REJECT, 0);
            default:
                break;
        }
        if (v.reason() == Verdict.Reason.PASSED) {
            Instant first = firstSeen.ofLastUpdate();
            return new Outcome(Outcome.Kind.PASSED_AFTER_DELAY, first == null ? 0 : delayedSeconds(first, clock.instant()));
        }
        return new Outcome(Outcome.Kind.PASS, 0);
    }

    /**
     * The N of postgrey's {@code X-Greylist: delayed N seconds}: the time since the triplet's first attempt, correct
     * to the second (the real delay D rounded down or up, never further off), as postgrey's clock of whole seconds
     * gives it ({@code time()} at the pass minus {@code time()} at the first attempt).
     *
     * <p>The greydb has the first attempt rounded <em>up</em> to the whole second ({@link
     * org.greylite.greylist.RecordedTimes}: so that no retry counts before min-delay), so the real first attempt lies
     * in the second before {@code recordedFirst}, and D between {@code now - recordedFirst} and one second more.
     * Rounding {@code now - recordedFirst} up gives a figure within a second of D either way, and never less than the
     * min-delay the retry had to wait (it counted only that long after the recorded time). Cutting it off, as was
     * done before, under-reported by up to two seconds: a first attempt at x.1 s, recorded as x+1, and the pass at
     * x+3.9 s were said to be 2 seconds apart for a delay of 3.8. (A row written by a version that cut the first
     * attempt off instead may be said a second longer, once.)
     */
    static long delayedSeconds(Instant recordedFirst, Instant now) {
        Duration since = Duration.between(recordedFirst, now);
        if (since.isNegative()) {
            return 0;
        }
        return since.getSeconds() + (since.getNano() > 0 ? 1 : 0);
    }

    /**
     * Runs {@code work} with the decisions it makes in one greydb transaction, committed when it returns (see
     * {@link DecisionTurn}).
     *
     * @throws org.greylite.store.StoreException when the transaction cannot be committed (nothing of it is)
     */
    void inOneTransaction(long askedNanos, Runnable work) {
        greylister.inOneTransaction(askedNanos, work);
    }

    /** Removes expired greydb rows; for the scheduled purge. */
    int purgeExpired() {
        return greylister.purgeExpired();
    }

    String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        store.close();
    }

    /**
     * The greydb as the engine sees it, with one addition of this service: it remembers the first attempt of
     * the triplet the calling thread just decided: postgrey's {@code X-Greylist: delayed N seconds} header
     * needs it and the engine's verdict does not carry it (a thread-local, since the engine calls the store on
     * the deciding thread; the alternative, a second query after the decision, would cost a read per pass and
     * could see a later attempt's row).
     */
    private static final class FirstSeen extends ForwardingGreylistStore {

        private final ThreadLocal<Instant> last = new ThreadLocal<>();

        FirstSeen(GreylistStore delegate) {
            super(delegate);
        }

        Instant ofLastUpdate() {
            return last.get();
        }

        @Override
        protected <T> TripletUpdate<T> seen(Optional<Triplet> row, TripletUpdate<T> u) {
            last.set(row.map(Triplet::firstSeen).orElse(null));
            return u;
        }
    }
}
