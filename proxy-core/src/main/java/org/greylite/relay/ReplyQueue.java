package org.greylite.relay;

import java.util.ArrayDeque;
import java.util.Set;

import org.greylite.smtp.Reply;
import org.greylite.suspicion.Behaviour;

/**
 * The pipelining reply queue: each client command gets a {@link Slot}, in command order. A slot is filled by
 * the upstream's reply (upstream replies come in the order commands were forwarded, so they fill the slots
 * waiting for the upstream from the head) or by the proxy's own reply; slots are written to the client strictly
 * from the head, so under pipelining the client reads its replies in the order of its commands whoever wrote
 * them.
 *
 * <p>It also holds the <b>barrier</b>: the one reply that must arrive before more client input is interpreted
 * (after DATA the bytes are message text only if the upstream said 354, and so on).
 */
final class ReplyQueue {

    private final RelayTransport transport;
    private final Runnable closeAfterReply;
    private final Set<Behaviour> behaviours;
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    private final ArrayDeque<Slot> awaitingUpstream = new ArrayDeque<>();
    private Slot barrier;
    private boolean ending;  // a reply that closes the session is queued: nothing after it is interpreted
    private boolean stopped; // the session is over: nothing more is written

    /**
     * @param closeAfterReply ends the session once a reply that closes it has been written
     * @param behaviours      the client's behaviours, where a refusal of the proxy's own marks commanderrors
     */
    ReplyQueue(RelayTransport transport, Runnable closeAfterReply, Set<Behaviour> behaviours) {
        this.transport = transport;
        this.closeAfterReply = closeAfterReply;
        this.behaviours = behaviours;
    }

    /** Sends {@code raw} upstream; its reply fills a new slot of {@code kind}, which is the barrier if asked. */
    Slot forward(byte[] raw, Slot.Kind kind, boolean isBarrier) {
        Slot s = new Slot(kind);
        forward(raw, s);
        if (isBarrier) {
            barrier = s;
        }
        return s;
    }

    /** Sends {@code raw} upstream; its reply fills {@code s}. */
    void forward(byte[] raw, Slot s) {
        transport.toUpstream(raw);
        slots.add(s);
        awaitingUpstream.add(s);
    }

    /** Sends {@code raw}, a command of the proxy's own, upstream: its reply fills {@code s}, never written to the client. */
    void forwardOwn(byte[] raw, Slot s) {
        transport.toUpstream(raw);
        awaitingUpstream.add(s);
    }

    /** A slot for a reply the upstream will send without a command of its own (its greeting, a message's end). */
    Slot expect(Slot.Kind kind) {
        Slot s = new Slot(kind);
        slots.add(s);
        awaitingUpstream.add(s);
        return s;
    }

    /** A slot filled later, by a decision: it holds the replies after it until then. */
    void reserve(Slot s) {
        slots.add(s);
    }

    /** {@code s}, reserved earlier, now waits for the upstream's reply (its command has been forwarded). */
    void awaitUpstream(Slot s) {
        awaitingUpstream.add(s);
    }

    /** {@code s} waits for the upstream's next reply again: the dialogue behind its command goes on. */
    void awaitAgain(Slot s) {
        awaitingUpstream.addFirst(s);
    }

    /** The slot the upstream's next reply is for, taken off the waiting list; null for an unsolicited reply. */
    Slot nextAwaited() {
        return awaitingUpstream.poll();
    }

    boolean upstreamOwesReplies() {
        return !awaitingUpstream.isEmpty();
    }

    /** Whether the upstream owes a reply besides the last one asked for (a chunk's, while the chunk is coming). */
    boolean upstreamOwesEarlierReplies() {
        return awaitingUpstream.size() > 1;
    }

    /** Nothing is owed to the client. */
    boolean isEmpty() {
        return slots.isEmpty();
    }

    /** Queues a reply of the proxy's own, in command order. */
    void local(Reply r) {
        local(r, false);
    }

    /** Queues a reply of the proxy's own, in command order; with {@code closeAfter} the session ends once it is sent. */
    void local(Reply r, boolean closeAfter) {
        if (r.isPermanentFailure()) {
            behaviours.add(Behaviour.COMMANDERRORS);
        }
        ending |= closeAfter;
        slots.add(Slot.local(r, closeAfter));
        flush();
    }

    /** {@code s}, reserved earlier, gets a reply that ends the session once sent; nothing after it is interpreted. */
    void closeWith(Slot s, Reply r) {
        ending = true;
        s.reply = r;
        s.closeAfter = true;
        flush();
    }

    /** The 220 to STARTTLS: once written, TLS starts on the client's connection. */
    void startTls(Reply ready) {
        Slot s = Slot.local(ready, false);
        s.startTlsAfter = true;
        slots.add(s);
        flush();
    }

    void barrier(Slot s) {
        barrier = s;
    }

    /** Whether client input must wait: for the barrier's reply, or because the session is ending. */
    boolean holdsInput() {
        return barrier != null || ending;
    }

    /** {@code s} has its reply: the barrier, if it was, is lifted. */
    void filled(Slot s) {
        if (barrier == s) {
            barrier = null;
        }
    }

    /** Writes the replies at the head that are known, in order. */
    void flush() {
        while (!stopped && !slots.isEmpty() && slots.peek().reply != null) {
            Slot s = slots.poll();
            if (s.startTlsAfter) {
                transport.startClientTls(s.reply.raw());
            } else {
                transport.toClient(s.reply.raw());
            }
            if (s.closeAfter) {
                stopped = true;
                closeAfterReply.run();
                return;
            }
        }
    }

    /** The session is over: nothing more reaches the client from here. */
    void stop() {
        stopped = true;
    }
}
