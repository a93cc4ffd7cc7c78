package org.greylite.connect;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.relay.RcptPolicy;

/**
 * One session's RCPT policy: hands each request to the shared policy with the client's PTR name filled
 * in. The lookup started when the client connected; usually it is done long before the first RCPT and the
 * request passes at once. If not, the request is handed on when the lookup completes, from the thread
 * that completes it: nothing blocks, and the session waits for its verdict as it waits for any other.
 *
 * <p>A RCPT that greylisting skips anyway (authenticated session, {@code RELAYCLIENT}) never waits: the
 * suspicion rules, the only reader of the name, are not consulted for it.
 */
public final class PtrAwarePolicy implements RcptPolicy {

    private final CompletableFuture<String> ptrName;
    private final RcptPolicy next;

    /**
     * @param ptrName the lookup in flight; it must complete normally (with "" when there is no name)
     * @param next    the shared policy
     */
    public PtrAwarePolicy(CompletableFuture<String> ptrName, RcptPolicy next) {
        this.ptrName = Objects.requireNonNull(ptrName, "ptrName");
        this.next = Objects.requireNonNull(next, "next");
    }

    @Override
    public void decide(RcptRequest request, Consumer<Verdict> done) {
        if (ptrName.isDone()) {
            next.decide(request.withPtrName(ptrName.isCompletedExceptionally() ? "" : ptrName.join()), done);
        } else if (request.skip() != null) {
            next.decide(request, done);
        } else {
            ptrName.whenComplete((name, failure) -> next.decide(request.withPtrName(name == null ? "" : name), done));
        }
    }
}
