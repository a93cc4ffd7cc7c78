package org.greylite.greylist;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import org.greylite.store.DecisionQuery;
import org.greylite.store.GreydbLifetimes;
import org.greylite.store.GreylistStore;
import org.greylite.store.StoreException;
import org.greylite.store.StoredState;
import org.greylite.store.TripletKey;
import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision engine: the greylisting algorithm of SPEC §3, for one RCPT at a time, the same for every
 * front door (greylited, the tcpserver wrapper, and any service that can say who the client is). It needs
 * no SMTP: {@link SessionFacts} and an envelope in ({@link RcptRequest}), a {@link Verdict} out.
 *
 * <p>The walk of one decision goes one way: the checks memory answers ({@link #decideFromMemory}: a skip
 * reason, an exempt recipient, the administrators' lists, known senders, a client just found whitelisted);
 * then N from the suspicion rules, pure and in memory, before the greydb is touched; then one store call
 * that reads the whitelist, the remembered behaviours and the triplet and writes the transition in one
 * transaction ({@link TripletTransition}). A greydb failure becomes {@link #unavailable}, the one place that
 * decides fail-open or {@code --fail-closed}.
 *
 * <p>Blocking: {@link #decide} waits for the greydb, so a network thread calls it through
 * {@link org.greylite.relay.ExecutorRcptPolicy}; {@link #decideFromMemory} never blocks.
 *
 * <p>N (from the suspicion rules) is how many times a triplet is refused before it may pass. A first
 * attempt is recorded and refused; a retry sooner than min-delay after the last counted refusal is
 * refused without counting; a later one passes once N refusals were counted. A passing client that
 * matched no suspicion line goes on the auto-whitelist.
 */
public final class Greylister {

    private static final Logger LOG = LoggerFactory.getLogger(Greylister.class);

    private final GreylistStore store;
    /** Whether this engine's lifetimes are in the greydb; when not, the next purge tries again. */
    private volatile boolean lifetimesRecorded;
    private final SuspicionPolicy suspicion;
    /**
     * The settings in force and what is made of them. Each decision reads it once and keeps it to its end, so a
     * decision made while {@link #applySettings} runs is made wholly under the old settings or wholly under the new.
     */
    private volatile Tuning tuning;
    private final Clock clock;
    private final DecisionListener listener;
    private final AdminLists adminLists;
    /** The list in force at each decision: a long-running program reads its files again at SIGHUP. */
    private final Supplier<KnownSenders> knownSenders;
    private final StoreOutageLog outage;
    private final PendingEstimates pendingEstimates = new PendingEstimates();
    /**
     * The decisions {@link #decide} made inside {@link #inOneTransaction} on this thread, kept for the commit (null
     * outside one): before it, the transaction may still fail.
     */
    private final ThreadLocal<Uncommitted> uncommitted = new ThreadLocal<>();

    public Greylister(GreylistStore store, SuspicionPolicy suspicion, GreylistSettings settings, Clock clock,
                      DecisionListener listener) {
        this(store, suspicion, settings, clock, listener, KnownSenders.NONE);
    }

    /** @param knownSenders clients that skip greylisting (the shipped list and the administrator's files) */
    public Greylister(GreylistStore store, SuspicionPolicy suspicion, GreylistSettings settings, Clock clock,
                      DecisionListener listener, KnownSenders knownSenders) {
        this(store, suspicion, settings, clock, listener, knownSenders, "451");
    }

    /**
     * @param knownSenders clients that skip greylisting (the shipped list and the administrator's files)
     * @param refusal      how this program writes its refusal when it fails closed, for the log of a greydb outage:
     *                     {@code 451} (the SMTP proxies, the default), {@code action=DEFER_IF_PERMIT} (the policy
     *                     service), {@code 0,2} (greydaemon)
     */
    public Greylister(GreylistStore store, SuspicionPolicy suspicion, GreylistSettings settings, Clock clock,
                      DecisionListener listener, KnownSenders knownSenders, String refusal) {
        this(store, suspicion, settings, clock, listener, fixed(knownSenders), refusal);
    }

    /**
     * As {@link #Greylister(GreylistStore, SuspicionPolicy, GreylistSettings, Clock, DecisionListener, KnownSenders,
     * String)}, with the known senders that may be read again while the engine runs ({@link KnownSendersFiles}).
     */
    public Greylister(GreylistStore store, SuspicionPolicy suspicion, GreylistSettings settings, Clock clock,
                      DecisionListener listener, Supplier<KnownSenders> knownSenders, String refusal) {
        this.knownSenders = Objects.requireNonNull(knownSenders, "knownSenders");
        this.store = Objects.requireNonNull(store, "store");
        this.suspicion = Objects.requireNonNull(suspicion, "suspicion");
        this.tuning = Tuning.of(Objects.requireNonNull(settings, "settings"));
        // The greydb's clock: a PostgreSQL server's, shared by every MX host however their own clocks differ.
        this.clock = store.sharedClock(Objects.requireNonNull(clock, "clock"));
        this.listener = Objects.requireNonNull(listener, "listener");
        this.adminLists = new AdminLists(store, ADMIN_LIST_REFRESH);
        this.outage = new StoreOutageLog(clock, Objects.requireNonNull(refusal, "refusal"));
        store.onAnswersAgain(() -> outage.succeeded(store.describe()));
        recordLifetimes();
    }

    /**
     * Records this engine's lifetimes in the greydb, for greylitectl (see {@link GreydbLifetimes}). Here, where every
     * program's engine starts on its greydb (greylited, the wrapper, greylite-policy, greydaemon), so none can forget
     * it; several programs with different lifetimes on one greydb: the last to start wins. A greydb that cannot be
     * read or written now costs no decision: it is logged, and the scheduled purge, off the RCPT path, tries again.
     */
    private void recordLifetimes() {
        GreylistSettings settings = tuning.settings();
        try {
            store.recordLifetimes(new GreydbLifetimes(settings.minDelay(), settings.retryWindow(),
                    settings.whitelistLifetime()));
            lifetimesRecorded = true;
        } catch (RuntimeException e) {
            LOG.warn("{}: cannot record the lifetimes for greylitectl (it uses its own until they are; tried again"
                    + " at the next purge): {}", store.describe(), e.getMessage());
        }
    }

    private static Supplier<KnownSenders> fixed(KnownSenders knownSenders) {
        Objects.requireNonNull(knownSenders, "knownSenders");
        return () -> knownSenders;
    }

    /** How stale the in-memory copy of the administrators' white- and blacklists may get. */
    static final Duration ADMIN_LIST_REFRESH = Duration.ofSeconds(5);

    /**
     * The settings in force, and what is made of them: how soon a whitelist entry is renewed, and the clients the
     * greydb just found whitelisted, which a new client key or whitelist memory starts afresh.
     */
    private record Tuning(GreylistSettings settings, Duration renewAfter, RecentWhitelist recentlyWhitelisted) {
        static Tuning of(GreylistSettings settings) {
            // Renewing a whitelist entry on every delivery would cost a write per RCPT. Renewing it once
            // it is an hour old (or 1% of the lifetime, if shorter) moves its expiry by at most that much.
            Duration hundredth = settings.whitelistLifetime().dividedBy(100);
            Duration renewAfter = hundredth.compareTo(Duration.ofHours(1)) < 0 ? hundredth : Duration.ofHours(1);
            return new Tuning(settings, renewAfter, new RecentWhitelist(settings.whitelistMemory()));
        }
    }

    public GreylistSettings settings() {
        return tuning.settings();
    }

    /**
     * Puts {@code next} in force from the next decision on (greylited's configuration file read again at SIGHUP); the
     * decisions under way finish under the settings they began with. The greydb rows stay as they are: a triplet
     * recorded under the old min-delay is judged by the new one at its retry, an entry's expiry by the new lifetimes.
     * The lifetimes are recorded in the greydb again for greylitectl.
     */
    public void applySettings(GreylistSettings next) {
        tuning = Tuning.of(Objects.requireNonNull(next, "next"));
        recordLifetimes();
    }

    /** Decides, records the decision durably, tells the listener, and returns the verdict. Blocking. */
    public Verdict decide(RcptRequest request) {
        return decide(request, System.nanoTime());
    }

    /**
     * {@link #decide(RcptRequest)} for a decision asked at {@code askedNanos} ({@link System#nanoTime()}) and
     * queued since: its waits for the greydb end the busy timeout after that, not after it starts.
     */
    public Verdict decide(RcptRequest request, long askedNanos) {
        Verdict v = evaluate(request, askedNanos);
        Uncommitted batch = uncommitted.get();
        if (batch == null) {
            listener.decided(request, v);
        } else {
            batch.told.add(new Decided(request, v));
        }
        return v;
    }

    /**
     * Decides {@code requests} in their order, as {@link #decide} would one after the other, in one greydb
     * transaction where the greydb can ({@link GreylistStore#inOneTransaction}): each sees the writes of those
     * before it (two requests for one triplet included), and all are committed before this returns. The
     * listener is told once the transaction has committed, in order. Blocking.
     *
     * <p>When the greydb fails, no decision of the batch was recorded: each request gets what memory alone
     * decides (a skip reason, an exempt recipient, the administrators' lists as last read...) and otherwise the
     * greydb-failure verdict ({@link #unavailable}'s, fail open or closed), as a decision alone would.
     *
     * @param askedNanos {@link System#nanoTime()} when the oldest request was asked (see {@link #decide(RcptRequest, long)})
     */
    public List<Verdict> decideAll(List<RcptRequest> requests, long askedNanos) {
        if (!store.commitsBatchTogether()) {
            // Each decision commits as it ends (PostgreSQL): one that fails leaves those before it recorded, and they
            // must be answered as recorded; answered as the batch's failure, a client greylisted and recorded was
            // told to pass on a greydb error, and one whose retry passed was refused under --fail-closed.
            List<Verdict> verdicts = new ArrayList<>(requests.size());
            for (RcptRequest r : requests) {
                verdicts.add(decide(r, askedNanos));
            }
            return verdicts;
        }
        Tuning t = tuning;
        List<Consulted> consulted = new ArrayList<>(requests.size());
        try {
            store.inOneTransaction(askedNanos, () -> {
                for (RcptRequest r : requests) {
                    consulted.add(consult(r, t, clientKey(r, t), clock.instant(), askedNanos));
                }
                return null;
            });
        } catch (StoreException e) {
            rolledBack(consulted);
            return failedBatch(requests, t, e.getMessage());
        }
        List<Verdict> verdicts = new ArrayList<>(consulted.size());
        for (int i = 0; i < consulted.size(); i++) {
            Consulted c = consulted.get(i);
            committed(c);
            listener.decided(requests.get(i), c.verdict());
            verdicts.add(c.verdict());
        }
        return verdicts;
    }

    /**
     * Runs {@code work}, whose {@link #decide} calls on this thread share one greydb transaction where the greydb can
     * ({@link GreylistStore#inOneTransaction}), for a caller that decides in a loop of its own (the policy service's
     * turns; {@link #decideAll} when the requests are known beforehand). What each decision's greydb answer means for
     * the engine (an outage over, a client whitelisted to remember) counts only once the transaction has committed:
     * counted at each decision, a commit that then failed (a full disk) ended the outage in the log at every request
     * and began it again at its retry, three lines a request. The listener (the decision log, the metrics) is told
     * then too, in order, as {@link #decideAll} tells it: a decision of a transaction that failed recorded nothing and
     * was never answered, and the caller decides its request again; told at once, each such request was logged and
     * counted twice, first by a verdict that no greydb holds and no client got.
     *
     * @throws StoreException when the shared transaction cannot start or commit; nothing of it was recorded, and
     *                        nothing told
     */
    public void inOneTransaction(long askedNanos, Runnable work) {
        Uncommitted made = new Uncommitted();
        uncommitted.set(made);
        try {
            store.inOneTransaction(askedNanos, () -> {
                work.run();
                return null;
            });
        } catch (RuntimeException | Error e) {
            rolledBack(made.consulted);
            throw e;
        } finally {
            uncommitted.remove();
        }
        made.consulted.forEach(this::committed);
        made.told.forEach(d -> listener.decided(d.request(), d.verdict()));
    }

    /**
     * The decisions of a shared transaction that did not commit: the new triplets they counted for their keys' pending
     * estimates were never recorded. Left counted, a turn decided again after a failed commit counted each twice, and
     * a key near {@code --max-pending} was refused as at the cap for up to {@link PendingEstimates#FRESH}.
     */
    private void rolledBack(List<Consulted> consulted) {
        for (Consulted c : consulted) {
            if (c.stored() && c.verdict().action() == Verdict.Action.GREYLIST
                    && c.verdict().reason() == Verdict.Reason.FIRST_ATTEMPT) {
                pendingEstimates.unrecorded(c.key());
            }
        }
    }

    /** A decision of a shared transaction, to tell the listener of once it has committed. */
    private record Decided(RcptRequest request, Verdict verdict) {
    }

    /** What the decisions of a shared transaction leave for its commit ({@link #inOneTransaction}). */
    private static final class Uncommitted {
        final List<Consulted> consulted = new ArrayList<>();
        final List<Decided> told = new ArrayList<>();
    }

    private List<Verdict> failedBatch(List<RcptRequest> requests, Tuning t, String why) {
        List<Verdict> verdicts = new ArrayList<>(requests.size());
        for (RcptRequest r : requests) {
            String key = clientKey(r, t);
            Verdict v = fromMemory(r, t, key, clock.instant(), false);
            if (v == null) {
                outage.failed(store.describe(), why, t.settings().failOpen());
                v = Verdict.storeError(key, t.settings().failOpen());
            }
            listener.decided(r, v);
            verdicts.add(v);
        }
        return verdicts;
    }

    /**
     * Decides from memory alone when that is enough, and tells the listener as {@link #decide} does; returns
     * null when the greydb must be asked (then call {@link #decide}, off the network threads). Never blocks:
     * a network thread may call it. It answers what {@link #decide} would, up to the staleness of the copies
     * in memory: the administrators' lists ({@link #ADMIN_LIST_REFRESH}, as for {@code decide}) and the
     * clients the greydb said were whitelisted, remembered {@link GreylistSettings#whitelistMemory} (see {@link RecentWhitelist}).
     */
    public Verdict decideFromMemory(RcptRequest request) {
        Tuning t = tuning;
        Verdict v = fromMemory(request, t, clientKey(request, t), clock.instant(), false);
        if (v != null) {
            listener.decided(request, v);
        }
        return v;
    }

    /**
     * What the engine answers before any triplet is looked at, for a front door that asks the upstream about a
     * recipient before greylisting it (the relay's upstream-first order): a reason to skip, an exempt recipient,
     * the administrators' lists, a known sender, a client the greydb just said was whitelisted. Null when only
     * the triplet can decide; then nothing is recorded or told, and {@link #decide} follows once the upstream
     * accepted the recipient. Told to the listener otherwise, as {@link #decide} does.
     *
     * <p>Blocking, as {@link #decide}: the administrators' lists are reread here when due, since a blacklisted
     * client's RCPT must not reach the upstream; asking only {@link #decideFromMemory} would let it through
     * whenever the copy in memory is due for a reread. When the lists cannot be read, the answer is null: the
     * decision after the upstream's answer meets the same failure and decides it as any greydb failure.
     */
    public Verdict screen(RcptRequest request) {
        Tuning t = tuning;
        String key = clientKey(request, t);
        Verdict v;
        try {
            v = fromMemory(request, t, key, clock.instant(), true);
        } catch (StoreException e) {
            return null;
        }
        if (v != null) {
            listener.decided(request, v);
        }
        return v;
    }

    /**
     * The verdict for a RCPT the greydb could not decide (it failed, or the decision could not even be queued):
     * accepted when failing open, {@code 451 4.3.0} with {@code --fail-closed}; keyed as every other verdict of
     * this engine, PTR name included. Logged once per outage (see {@link StoreOutageLog}), told to the listener.
     */
    public Verdict unavailable(RcptRequest request, String why) {
        Tuning t = tuning;
        outage.failed(store.describe(), why, t.settings().failOpen());
        Verdict v = Verdict.storeError(clientKey(request, t), t.settings().failOpen());
        listener.decided(request, v);
        return v;
    }

    /**
     * The verdict for a RCPT that came as the server stops and can no longer be decided: {@code 451 4.3.0}
     * whatever fail-open says (the client retries, at this server once it is back or at another MX), never a
     * client left hanging. Told to the listener; no outage is logged, the greydb did not fail.
     */
    public Verdict stopping(RcptRequest request) {
        Verdict v = Verdict.storeError(clientKey(request), false);
        listener.decided(request, v);
        return v;
    }

    /** The client identity triplets and the whitelist are keyed on (see {@link ClientKeys}). */
    public String clientKey(RcptRequest request) {
        return clientKey(request, tuning);
    }

    private static String clientKey(RcptRequest request, Tuning t) {
        return t.settings().clientKeys().keyFor(request.client(), request.session().ptrName());
    }

    private Verdict evaluate(RcptRequest request, long askedNanos) {
        Tuning t = tuning;
        String key = clientKey(request, t);
        try {
            Consulted c = consult(request, t, key, clock.instant(), askedNanos);
            Uncommitted batch = uncommitted.get();
            if (batch == null) {
                committed(c);
            } else {
                batch.consulted.add(c);
            }
            return c.verdict();
        } catch (StoreException e) {
            outage.failed(store.describe(), e.getMessage(), t.settings().failOpen());
            return Verdict.storeError(key, t.settings().failOpen());
        }
    }

    /**
     * A verdict, and whether the greydb decided it ({@code stored}), with the key and time it was decided for:
     * what {@link #committed} needs once the greydb's transaction has committed.
     */
    private record Consulted(Verdict verdict, boolean stored, String key, Instant now, Tuning tuning) {
    }

    /**
     * Memory first, then the greydb. What the greydb said is remembered only once committed ({@link #committed}):
     * inside a batch ({@link #decideAll}) the transaction may still roll back.
     *
     * @throws StoreException when the greydb fails
     */
    private Consulted consult(RcptRequest request, Tuning t, String key, Instant now, long askedNanos) {
        Verdict known = fromMemory(request, t, key, now, true);
        if (known != null) {
            return new Consulted(known, false, key, now, t);
        }
        GreylistSettings settings = t.settings();
        Duration renewAfter = t.renewAfter();
        // N before the greydb is touched, for both values of the retryinterval behaviour (see TripletTransition).
        String sender = KeyedAddress.sender(request.sender(), settings.normalizeSenders());
        String recipient = KeyedAddress.recipient(request.recipient());
        TripletKey triplet = new TripletKey(key, sender, recipient);
        ClientFacts facts = request.facts().withKeys(sender, recipient);
        Suspicion plain = suspicion.evaluate(facts);
        Suspicion retrying = facts.behaviours().contains(Behaviour.RETRYINTERVAL)
                ? plain : suspicion.evaluate(facts.withBehaviour(Behaviour.RETRYINTERVAL));
        TripletTransition transition = new TripletTransition(settings, renewAfter, key, now, plain, retrying);
        Verdict v = store.decide(new DecisionQuery(triplet, now, settings.whitelistLifetime(), renewAfter, askedNanos),
                state -> transition.apply(new StoredState(state.whitelisted(), state.behaviours(), state.triplet(),
                        pendingEstimates.around(key, now, state.pending()), state.passed())));
        if (v.action() == Verdict.Action.GREYLIST && v.reason() == Verdict.Reason.FIRST_ATTEMPT) {
            // Counted at once, not at the commit: the next decision of a batch must see it (a rollback takes it
            // back: rolledBack).
            pendingEstimates.recorded(key);
        }
        return new Consulted(v, true, key, now, t);
    }

    /** After the commit: the greydb answered (an outage is over), and a client it found whitelisted is remembered. */
    private void committed(Consulted c) {
        if (!c.stored()) {
            return;
        }
        outage.succeeded(store.describe());
        if (c.verdict().reason() == Verdict.Reason.WHITELISTED) {
            c.tuning().recentlyWhitelisted().remember(c.key(), c.now());
        }
    }

    /**
     * The checks of SPEC §3 that need no greydb query, in their order; null when they do not decide. The
     * administrators' blacklist comes before any whitelist, the recently whitelisted clients included.
     *
     * @param mayLoad true on the greydb's thread: reread the administrators' lists when due; false: a copy
     *                due for a refresh decides nothing (null)
     */
    private Verdict fromMemory(RcptRequest request, Tuning t, String key, Instant now, boolean mayLoad) {
        if (request.skip() != null) {
            return Verdict.skipped(key);
        }
        if (t.settings().exemptRecipient(request.recipient())) {
            return Verdict.exemptRecipient(key);
        }
        AdminLists.Listing listing = mayLoad ? adminLists.lookup(request.client(), now)
                : adminLists.lookupLoaded(request.client(), now);
        if (listing == null) {
            return null;
        }
        switch (listing) {
            case BLACK:
                return Verdict.blacklisted(key);
            case WHITE:
                return Verdict.whitelisted(key);
            default:
                break;
        }
        if (knownSenders.get().match(request.client(), request.session().ptrName()).isPresent()) {
            return Verdict.knownSender(key);
        }
        if (t.recentlyWhitelisted().contains(key, now)) {
            return Verdict.whitelisted(key);
        }
        return null;
    }

    /** Removes expired rows now; for the scheduled clean-up. */
    public int purgeExpired() {
        if (!lifetimesRecorded) {
            recordLifetimes();
        }
        GreylistSettings settings = tuning.settings();
        return store.purgeExpired(clock.instant(), settings.retryWindow(), settings.whitelistLifetime());
    }

    /**
     * Purges when no process has done so for {@code interval} (the wrapper, at the end of a session): of many
     * processes asking at once, one purges.
     *
     * @return the rows removed, or -1 when the round was not this process's
     */
    public int purgeIfDue(Duration interval) {
        return store.claimPurge(clock.instant(), interval) ? purgeExpired() : -1;
    }
}
