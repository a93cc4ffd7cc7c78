package org.greylite.relay;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.text.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine for network threads: runs the blocking {@link Greylister} on an executor (one thread owns the
 * SQLite connection). A RCPT that memory alone decides (a client the greydb just said was whitelisted, a
 * relay client, an exempt recipient...) is answered at once on the caller's thread: the hand-over to the
 * executor and back would cost more than the decision. The time the decision was asked goes with it, so
 * a decision queued behind a greydb lock waits no longer than the busy timeout from then: behind the
 * other sessions' decisions on the executor, and behind the RCPTs its client pipelined before it.
 */
public final class ExecutorRcptPolicy implements RcptPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorRcptPolicy.class);

    private final Greylister greylister;
    private final Executor executor;

    public ExecutorRcptPolicy(Greylister greylister, Executor executor) {
        this.greylister = greylister;
        this.executor = executor;
    }

    @Override
    public void decide(RcptRequest request, long askedNanos, Consumer<Verdict> done) {
        fromMemoryElseOnExecutor(request, () -> greylister.decide(request, askedNanos), done);
    }

    /**
     * Memory first, as {@link #decide}; when it cannot tell, the executor's thread asks again, since only it may
     * reread the administrators' lists when they are due (a RCPT from a client blacklisted a moment ago must not
     * reach the upstream). The hop costs far less than the upstream's answer the RCPT waits for next.
     */
    @Override
    public void screen(RcptRequest request, Consumer<Verdict> done) {
        fromMemoryElseOnExecutor(request, () -> greylister.screen(request), done);
    }

    /**
     * What memory alone decides, at once on the caller's thread; else {@code decision} on the executor, or the
     * answer of a stopping server when the executor takes no more work (the program is ending).
     */
    private void fromMemoryElseOnExecutor(RcptRequest request, Supplier<Verdict> decision, Consumer<Verdict> done) {
        Verdict known = greylister.decideFromMemory(request);
        if (known != null) {
            done.accept(known);
            return;
        }
        try {
            executor.execute(() -> done.accept(guarded(request, decision)));
        } catch (RejectedExecutionException e) {
            done.accept(greylister.stopping(request));
        }
    }

    /**
     * A decision that fails in a way nothing foresaw (a defect, a regular expression too deep for the stack, a
     * class that cannot be loaded because a package upgrade replaced the jars under the running program) still
     * answers the RCPT, with the {@code 451 4.3.0} of a server that cannot decide now: the client is never left
     * waiting, and the error is logged with its trace for the administrator to report, the recipient shown as the
     * decision line shows it: it is the client's text, which may hold controls.
     */
    private Verdict guarded(RcptRequest request, Supplier<Verdict> decision) {
        try {
            return decision.get();
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            LOG.error("cannot decide the RCPT to <{}>; answered 451 4.3.0", ClientText.field(request.recipient()), e);
            return greylister.stopping(request);
        }
    }
}
