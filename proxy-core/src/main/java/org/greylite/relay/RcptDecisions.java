package org.greylite.relay;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;

import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.smtp.CommandLine;
import org.greylite.smtp.Reply;
import org.greylite.suspicion.Behaviour;

/**
 * Where a RCPT meets greylisting: the request is built from the session's facts, the {@link RcptPolicy}
 * decides, and the verdict either lets the command go upstream or answers it here. Every decision the relay
 * asks for is asked here, and only here.
 *
 * <p>A decision is asynchronous (the greydb may be on another thread); while one is pending, client input is
 * held, so nothing after the RCPT reaches the upstream before the RCPT itself does or is refused.
 *
 * <p><b>The null sender.</b> Mail from {@code <>} (bounces, and the probes other servers send to verify an
 * address before accepting mail from it) is greylisted at DATA, not at RCPT, as Harris proposed: its RCPTs go
 * to the upstream undecided, so a verification probe ({@code MAIL FROM:<>}, {@code RCPT}, {@code QUIT}) gets
 * the upstream's real answer; at DATA (or the first BDAT) every recipient the upstream accepted is decided, and
 * if any is greylisted the DATA gets the greylisting reply and never reaches the upstream.
 *
 * <p><b>The upstream-first order</b> ({@link RcptOrder#UPSTREAM_FIRST}). The engine is asked first only what
 * needs no triplet ({@link RcptPolicy#screen}: a skip, an exempt recipient, the administrators' lists, a known
 * sender), so a blacklisted client's RCPT never reaches the upstream. Otherwise the RCPT goes upstream, and its
 * refusal goes back unchanged, decided by nobody and written nowhere; only a recipient the upstream accepted is
 * decided. If it must wait, the client gets the greylisting reply and the recipient must leave the upstream's
 * envelope before the message ({@link EnvelopeReplay}). Client input waits from the RCPT until its fate is
 * known, as for any decision: the upstream's envelope is then always the one the relay believes it is.
 * A second upstream refusal in a session marks the client with {@code commanderrors} (a dictionary attack
 * guesses many addresses); the first is forgiven, being most often a sender's typo. The null sender's refused
 * recipients count among them ({@link #judgesRefusal}): a bounce to an address that does not exist is most often
 * backscatter of a forged sender, no worse than a typo, and a dictionary attack from {@code <>} still shows at its
 * second guess.
 */
final class RcptDecisions {

    private final RcptPolicy policy;
    private final SessionInfo info;
    private final Envelope envelope;
    private final Set<Behaviour> behaviours;
    private final RelayTransport transport;
    private final ReplyQueue queue;
    private final MessageStream stream;
    private final Replies replies;
    private final SessionSummary summary;
    private final Object lock;
    private final BooleanSupplier closed;
    private final Runnable resume;
    private final RcptOrder order;
    private final RelayEvents events;
    private final UpstreamReset upstreamReset;
    private final LongSupplier inputArrived;
    private boolean pending;
    private int upstreamRefusals;

    /**
     * @param lock   the session's lock, taken when a verdict comes back
     * @param closed whether the session is over by then
     * @param resume goes on with the client's input once a verdict has been acted on
     * @param inputArrived {@link System#nanoTime()} when the client's latest input came: a command read from it
     *                     was asked no later than that
     */
    RcptDecisions(RcptPolicy policy, SessionInfo info, Envelope envelope, Set<Behaviour> behaviours,
                  RelayTransport transport, ReplyQueue queue, MessageStream stream, RelaySettings settings,
                  RelayEvents events, SessionSummary summary, UpstreamReset upstreamReset, Object lock,
                  BooleanSupplier closed, Runnable resume, LongSupplier inputArrived) {
        this.policy = policy;
        this.info = info;
        this.envelope = envelope;
        this.behaviours = behaviours;
        this.transport = transport;
        this.queue = queue;
        this.stream = stream;
        this.replies = settings.replies();
        this.order = settings.rcptOrder();
        this.events = events;
        this.summary = summary;
        this.upstreamReset = upstreamReset;
        this.lock = lock;
        this.closed = closed;
        this.resume = resume;
        this.inputArrived = inputArrived;
    }

    /** A decision is under way: client input waits. */
    boolean pending() {
        return pending;
    }

    /** Whether this session's recipients are greylisted: not when greylisting is off, skipped, or authenticated. */
    boolean decidesRecipients() {
        return info.greylisting() && !envelope.isAuthenticated() && info.skipReason() == null;
    }

    /** {@code recipient}: the command's address as {@link CommandLine#pathArgument} read it, absent if unreadable. */
    void rcpt(CommandLine c, Optional<String> recipient) {
        String sender = envelope.sender();
        if (recipient.isEmpty() || sender == null) {
            // Nothing to decide (ClientCommands refuses what cannot be decided when recipients are decided).
            queue.forward(c.raw(), Slot.Kind.OTHER, false);
            return;
        }
        if (!info.greylisting()) {
            // Greylisting is off for the session (the wrapper without a usable TCPREMOTEIP): the recipient passes
            // undecided, and the session line counts it as passed, as it counts a relay client's.
            summary.accepted(1);
            queue.forward(c.raw(), Slot.Kind.OTHER, false);
            return;
        }
        String skip = envelope.isAuthenticated() ? "authenticated" : info.skipReason();
        if (sender.isEmpty() && skip == null) {
            // The null sender is decided at DATA: a verification probe gets the upstream's own answer.
            // A barrier: DATA must not be read before every such RCPT's reply is known.
            Slot slot = new Slot(Slot.Kind.RCPT_DEFERRED);
            slot.recipient = recipient.get();
            slot.transaction = envelope.transaction();
            queue.forward(c.raw(), slot);
            queue.barrier(slot);
            return;
        }
        Verdict earlier = envelope.decided().earlier(recipient.get());
        if (earlier != null) {
            repeated(c, recipient.get(), earlier);
            return;
        }
        Slot slot = new Slot(Slot.Kind.RCPT);
        slot.rcpt = c;
        slot.transaction = envelope.transaction();
        queue.reserve(slot);
        pending = true;
        long arrived = inputArrived.getAsLong();
        if (order == RcptOrder.UPSTREAM_FIRST) {
            request(recipient.get(), arrived, (r, asked) -> policy.screen(r, v -> onScreened(slot, r, v)));
        } else {
            request(recipient.get(), arrived,
                    (r, asked) -> policy.decide(r, asked, v -> onVerdict(slot, c, recipient.get(), v)));
        }
    }

    /**
     * A recipient this transaction named before, whose verdict is known (input waits for every verdict): it gets
     * that verdict again, asked of nobody ({@link DecidedRecipients}). Passed, it goes upstream, whose reply goes
     * back (Postfix takes a repeated recipient and delivers once); refused, it gets the greylisting reply again. It
     * is no new decision: no decision line, and the session line counts the recipient once.
     */
    private void repeated(CommandLine c, String recipient, Verdict earlier) {
        if (!earlier.accepted()) {
            envelope.recipientRefused(envelope.transaction());
            queue.local(replies.forRefusal(earlier, recipient));
            return;
        }
        envelope.recipientTaken(envelope.transaction()); // as Postfix counts a repeated recipient it accepts
        Slot slot = new Slot(Slot.Kind.RCPT);
        slot.rcpt = c;
        slot.transaction = envelope.transaction();
        queue.forward(c.raw(), slot);
        if (order == RcptOrder.UPSTREAM_FIRST) {
            queue.barrier(slot); // as any recipient that passed: the upstream's envelope may have to be made again
        }
    }

    /** Upstream-first: a verdict that needed no triplet is acted on as any; without one the RCPT goes upstream. */
    private void onScreened(Slot slot, RcptRequest request, Verdict v) {
        if (v != null) {
            onVerdict(slot, slot.rcpt, request.recipient(), v);
            return;
        }
        synchronized (lock) {
            if (closed.getAsBoolean()) {
                pending = false;
                return;
            }
            slot.kind = Slot.Kind.RCPT_VERIFY;
            slot.request = request;
            queue.awaitUpstream(slot);
            transport.toUpstream(slot.rcpt.raw());
            // Input stays held until the verdict: nothing may follow the RCPT upstream before its fate is known.
        }
    }

    /**
     * The upstream's reply {@code r} to the RCPT of {@code slot}. A recipient it accepted joins the upstream's
     * envelope; in the upstream-first order it is decided first, and then true: the reply waits for the verdict,
     * reaching the client only if greylisting lets the recipient pass. False: the caller passes {@code r} on
     * (a refusal goes back unchanged, decided by nobody and written nowhere).
     */
    boolean upstreamReplied(Slot slot, Reply r) {
        if (slot.kind == Slot.Kind.RCPT && r.isPositive()) {
            envelope.recipientAtUpstream(slot.transaction, slot.rcpt.raw());
        } else if (slot.kind == Slot.Kind.RCPT_VERIFY) {
            if (r.isPositive()) {
                // Asked now: the upstream's time to answer the RCPT is not taken from the greydb's busy timeout.
                policy.decide(slot.request, System.nanoTime(), v -> onDecidedAfterUpstream(slot, r, v));
                return true;
            }
            upstreamRefused(slot, r);
        } else if (slot.kind == Slot.Kind.RCPT_DEFERRED && judgesRefusal(slot) && !r.isPositive()) {
            countUpstreamRefusal();
        }
        return false;
    }

    /**
     * Whether the upstream's refusal of {@code slot}'s command is judged here, by {@link #countUpstreamRefusal}, rather
     * than as any other 5xx, which marks {@code commanderrors} at once: in the upstream-first order, every RCPT's.
     */
    boolean judgesRefusal(Slot slot) {
        return slot.kind == Slot.Kind.RCPT_VERIFY
                || slot.kind == Slot.Kind.RCPT_DEFERRED && order == RcptOrder.UPSTREAM_FIRST;
    }

    /** Upstream-first: a refusal counts as a command error only if repeated (the first is most often a typo). */
    private void upstreamRefused(Slot slot, Reply refusal) {
        pending = false;
        envelope.recipientRefused(slot.transaction);
        countUpstreamRefusal();
        DecisionLog.refusedUpstream(slot.request, refusal.code());
        events.recipientRefusedUpstream(info, refusal.code());
    }

    private void countUpstreamRefusal() {
        if (++upstreamRefusals > 1) {
            behaviours.add(Behaviour.COMMANDERRORS);
        }
    }

    private void onDecidedAfterUpstream(Slot slot, Reply accepted, Verdict v) {
        synchronized (lock) {
            if (!takeVerdict(slot, slot.request.recipient(), v)) {
                return;
            }
            if (v.accepted()) {
                summary.accepted(1);
                envelope.recipientAtUpstream(slot.transaction, slot.rcpt.raw());
                slot.reply = accepted;
            } else {
                summary.refused(1);
                envelope.withdrawRecipient(slot.transaction);
                slot.reply = replies.forRefusal(v, slot.request.recipient());
            }
            queue.flush();
            resume.run();
        }
    }

    /**
     * The request for {@code recipient}: the connection stage's facts (complete, or waited for without
     * blocking), with what this session learnt (HELO, authentication, behaviours) and the envelope; and when it
     * was asked. That is when its command came ({@code arrived}), however long it then waited behind the
     * decisions of commands pipelined before it: RCPTs a client sent together behind a greydb another process
     * keeps locked are all answered within the busy timeout, not one busy timeout after another. Facts that came
     * later than the command (slow lookups) make it asked when they came: that wait is not the greydb's.
     */
    private void request(String recipient, long arrived, ObjLongConsumer<RcptRequest> then) {
        String from = envelope.sender();
        String hello = envelope.heloText();
        boolean auth = envelope.isAuthenticated();
        Set<Behaviour> shown = behaviours.isEmpty() ? Set.of() : EnumSet.copyOf(behaviours);
        info.whenFactsKnown(auth, (facts, waited) -> then.accept(
                facts.withHelo(hello).withBehaviours(shown).withAuthenticated(auth).rcpt(from, recipient),
                waited ? System.nanoTime() : arrived));
    }

    /**
     * Null sender: decides every recipient the upstream accepted, one after the other, before DATA (or
     * a BDAT of {@code bdatSize} bytes) may go on. Every recipient is decided even after one is refused, so
     * that each triplet's first attempt is recorded now and one retry can pass them all; the command is
     * answered with the first refusal, if any. Each triplet is decided once in the transaction: a recipient named
     * twice is deferred once ({@link Envelope#deferRecipient}), and a DATA after a refused one gives the recipients
     * decided then their verdicts again ({@link DecidedRecipients}).
     */
    void decideDeferred(CommandLine c, long bdatSize, boolean last) {
        Slot slot = new Slot(bdatSize < 0 ? Slot.Kind.DATA : last ? Slot.Kind.DATA_END : Slot.Kind.BDAT);
        queue.reserve(slot);
        pending = true;
        decideNext(new DeferredRound(envelope.deferredRecipients(), slot, c, bdatSize, last,
                inputArrived.getAsLong()), 0);
    }

    /** One DATA's (or BDAT's) decisions of the null sender's recipients, and the first refusal among them. */
    private static final class DeferredRound {
        final List<String> recipients;
        final Slot slot;
        final CommandLine command;
        final long bdatSize;
        final boolean last;
        final long arrived; // when the command came: every recipient's decision was asked then
        Verdict refusal; // the first refused recipient's verdict, or null
        String refused;
        int passing; // recipients decided so far that greylisting lets pass
        int waiting; // and those it refused: each counts in the session line, though DATA gets one reply
        int next = -1; // the recipient to ask about next, or -1 (see decideNext)
        boolean asking; // decideNext's loop is on the stack

        DeferredRound(List<String> recipients, Slot slot, CommandLine command, long bdatSize, boolean last,
                      long arrived) {
            this.recipients = recipients;
            this.slot = slot;
            this.command = command;
            this.bdatSize = bdatSize;
            this.last = last;
            this.arrived = arrived;
        }
    }

    /**
     * Asks about recipient {@code i}. A verdict may come back at once, on this thread (facts known, a recipient
     * memory decides, such as {@code postmaster@}), and asks about the next recipient from inside this call: then
     * the loop below takes it, rather than a call deeper in the stack for each recipient. A null sender with
     * thousands of recipients would otherwise overflow the I/O thread's stack, and an Error there stops that thread's
     * every session. A verdict that comes later, from another thread, starts the loop again.
     */
    private void decideNext(DeferredRound round, int i) {
        synchronized (lock) {
            round.next = i;
            if (round.asking) {
                return; // a verdict given at once, inside the loop below: the loop asks next
            }
            round.asking = true;
            try {
                while (round.next >= 0) {
                    int at = round.next;
                    round.next = -1;
                    String rcpt = round.recipients.get(at);
                    Verdict earlier = envelope.decided().earlier(rcpt);
                    if (earlier != null) {
                        // Decided at an earlier DATA of this transaction, which was refused: no new attempt.
                        onDeferredVerdict(round, at, rcpt, earlier, false);
                    } else {
                        request(rcpt, round.arrived, (r, asked) -> policy.decide(r, asked,
                                v -> onDeferredVerdict(round, at, rcpt, v, true)));
                    }
                }
            } finally {
                round.asking = false;
            }
        }
    }

    /**
     * Null sender, refused at an earlier chunk: this one gets the same answer, and its bytes are skipped. A refused
     * last chunk ends the transaction here and, with an RSET, at the upstream, which never saw its LAST.
     */
    void refuseChunk(long size, boolean last) {
        queue.local(envelope.transactionRefusal());
        stream.chunk(size, true);
        if (last) {
            upstreamReset.now();
        }
    }

    /** {@code decidedNow}: false for a verdict given at an earlier DATA of the transaction, counted then. */
    private void onDeferredVerdict(DeferredRound round, int i, String rcpt, Verdict v, boolean decidedNow) {
        synchronized (lock) {
            if (closed.getAsBoolean()) {
                pending = false;
                return;
            }
            if (decidedNow) {
                envelope.decided().decided(rcpt, v);
            }
            if (v.accepted()) {
                round.passing += decidedNow ? 1 : 0;
            } else {
                round.waiting += decidedNow ? 1 : 0;
                if (round.refusal == null) {
                    round.refusal = v;
                    round.refused = rcpt;
                }
            }
            if (i + 1 < round.recipients.size()) {
                decideNext(round, i + 1);
                return;
            }
            pending = false;
            Slot slot = round.slot;
            long bdatSize = round.bdatSize;
            // Each recipient by its own verdict: one that passed counts as accepted even when another's refusal
            // holds the message back (messages= says whether it went), as in a session of any other sender.
            summary.accepted(round.passing);
            summary.refused(round.waiting);
            if (round.refusal == null) {
                envelope.deferredRecipientsPassed();
                queue.awaitUpstream(slot);
                transport.toUpstream(round.command.raw());
                if (bdatSize < 0) {
                    queue.barrier(slot); // as any DATA: what follows depends on the 354
                } else {
                    stream.chunk(bdatSize, false);
                    if (round.last) {
                        envelope.reset(); // the upstream's transaction ends with this chunk
                    }
                }
            } else {
                slot.reply = replies.forRefusal(round.refusal, round.refused);
                if (bdatSize >= 0) {
                    stream.chunk(bdatSize, true);
                    if (round.last) {
                        upstreamReset.now(); // the upstream never saw the LAST that would have ended it
                    } else {
                        envelope.refuseTransaction(slot.reply);
                    }
                }
                queue.flush();
            }
            resume.run();
        }
    }

    /**
     * The verdict on {@code recipient}, the RCPT of {@code slot}, has come (under the lock): the next decision may be
     * asked; unless the session is over by then, the verdict is kept as the envelope's when its transaction is still
     * the current one, and counted against that transaction's limits. Returns false when the session is over.
     */
    private boolean takeVerdict(Slot slot, String recipient, Verdict v) {
        pending = false;
        if (closed.getAsBoolean()) {
            return false;
        }
        if (slot.transaction == envelope.transaction()) {
            envelope.decided().decided(recipient, v);
        }
        countIn(slot.transaction, v);
        return true;
    }

    /** Counts a recipient of {@code transaction} against the transaction's limits ({@link Envelope#MAX_RECIPIENTS}). */
    private void countIn(int transaction, Verdict v) {
        if (v.accepted()) {
            envelope.recipientTaken(transaction);
        } else {
            envelope.recipientRefused(transaction);
        }
    }

    private void onVerdict(Slot slot, CommandLine c, String recipient, Verdict v) {
        synchronized (lock) {
            if (!takeVerdict(slot, recipient, v)) {
                return;
            }
            if (v.accepted()) {
                summary.accepted(1);
                queue.awaitUpstream(slot);
                transport.toUpstream(c.raw());
                if (order == RcptOrder.UPSTREAM_FIRST) {
                    // The upstream's envelope may have to be made again at DATA: it must know this recipient by then.
                    queue.barrier(slot);
                }
            } else {
                summary.refused(1);
                slot.reply = replies.forRefusal(v, recipient);
                queue.flush();
            }
            resume.run();
        }
    }
}
