package org.greylite.relay;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;

/**
 * Runs the blocking {@link Greylister} on an executor (one thread owns the SQLite connection). A RCPT that
 * memory alone decides (a client the greydb just said was whitelisted, a relay client, an exempt recipient...)
 * is answered at once on the caller's thread: the hand-over to the executor and back would cost more than
 * the decision.
 */
public final class ExecutorRcptPolicy implements RcptPolicy {

    private final Greylister greylister;
    private final Executor executor;

    public ExecutorRcptPolicy(Greylister greylister, Executor executor) {
        this.greylister = greylister;
        this.executor = executor;
    }

    @Override
    public void decide(RcptRequest request, Consumer<Verdict> done) {
        Verdict known = greylister.decideFromMemory(request);
        if (known != null) {
            done.accept(known);
            return;
        }
        try {
            executor.execute(() -> done.accept(greylister.decide(request)));
        } catch (RejectedExecutionException e) {
            // Shutting down: answer like a greydb failure would, never leave the client hanging.
            String key = greylister.settings().clientKeys().keyFor(request.client());
            done.accept(new Verdict(Verdict.Action.TEMPFAIL, Verdict.Reason.STORE_ERROR, key, 0, -1, null, 0));
        }
    }
}
