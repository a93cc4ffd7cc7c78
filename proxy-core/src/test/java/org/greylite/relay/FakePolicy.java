package org.greylite.relay;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;

/**
 * Greylists recipients whose local part starts with "grey", refuses those starting with "black" as the
 * administrators' blacklist would, accepts the others. Answers at once, or, when {@link #defer} is set, when the
 * test calls {@link #completeNext()}. Screening (the upstream-first order) answers at once: a skip and the
 * blacklist need no triplet, the rest is left to {@link #decide}.
 */
final class FakePolicy implements RcptPolicy {

    private record Pending(RcptRequest request, Consumer<Verdict> done) {
    }

    final List<RcptRequest> requests = new ArrayList<>();
    final List<RcptRequest> screened = new ArrayList<>();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    boolean defer;

    @Override
    public synchronized void decide(RcptRequest request, long askedNanos, Consumer<Verdict> done) {
        requests.add(request);
        if (defer) {
            pending.add(new Pending(request, done));
        } else {
            done.accept(verdictFor(request));
        }
    }

    @Override
    public synchronized void screen(RcptRequest request, Consumer<Verdict> done) {
        screened.add(request);
        Verdict v = verdictFor(request);
        done.accept(v.reason() == Verdict.Reason.SKIPPED || v.reason() == Verdict.Reason.BLACKLISTED ? v : null);
    }

    /** Hands the oldest outstanding decision its verdict. */
    void completeNext() {
        Pending p;
        synchronized (this) {
            p = pending.poll();
        }
        if (p == null) {
            throw new AssertionError("no decision outstanding");
        }
        p.done.accept(verdictFor(p.request));
    }

    synchronized int outstanding() {
        return pending.size();
    }

    synchronized List<String> recipients() {
        return requests.stream().map(RcptRequest::recipient).toList();
    }

    static Verdict verdictFor(RcptRequest r) {
        if (r.skip() != null) {
            return Verdict.skipped("192.0.2.0/24");
        }
        if (r.recipient().startsWith("black")) {
            return Verdict.blacklisted("192.0.2.0/24");
        }
        if (r.recipient().startsWith("grey")) {
            return new Verdict(Verdict.Action.GREYLIST, Verdict.Reason.FIRST_ATTEMPT, "192.0.2.0/24", 1, 1, null, 300);
        }
        return new Verdict(Verdict.Action.ACCEPT, Verdict.Reason.PASSED, "192.0.2.0/24", 2, 1, null, 0);
    }
}
