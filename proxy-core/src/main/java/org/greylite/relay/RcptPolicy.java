package org.greylite.relay;

import java.util.function.Consumer;

import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;

/**
 * Decides on one RCPT. Asynchronous so that the network threads never wait for the greydb: the verdict
 * is handed to {@code done}, possibly on another thread, possibly before the call returns.
 */
public interface RcptPolicy {

    /**
     * The verdict on the RCPT: its triplet looked at when nothing else decides.
     *
     * @param askedNanos {@link System#nanoTime()} when the client asked: a wait for a greydb another process keeps
     *                   locked ends the busy timeout after it. For RCPTs a client sent together (pipelining), that
     *                   is when they came, not when each one's turn came behind the others' waits.
     */
    void decide(RcptRequest request, long askedNanos, Consumer<Verdict> done);

    /**
     * For the upstream-first order ({@link RcptOrder#UPSTREAM_FIRST}), before the RCPT goes upstream: the
     * verdict that needs no triplet (a reason to skip, an exempt recipient, the administrators' lists, a known
     * sender), or null when only the triplet can decide, and then {@link #decide} is asked once the upstream has
     * accepted the recipient. Not a default method: a policy that forgot it would let a blacklisted client's
     * RCPT reach the upstream.
     */
    void screen(RcptRequest request, Consumer<Verdict> done);
}
