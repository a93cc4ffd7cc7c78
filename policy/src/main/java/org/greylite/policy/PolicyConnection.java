package org.greylite.policy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection (a Postfix smtpd process, usually): its framer, the requests read but not yet
 * answered, and the answers not yet written. Used by the server's I/O thread only; a decision finishing on
 * another thread hands its answer back through the server.
 */
final class PolicyConnection {

    /** Past this many unsent answer bytes, reading stops until the client reads (it pipelines without reading). */
    static final int OUTPUT_HIGH_WATER = 64 * 1024;
    /**
     * At most this many requests wait, read but not yet taken to be decided; past it, reading stops until they are
     * taken. Requests are decided one at a time per connection, so a client that pipelines (and reads its answers)
     * would otherwise have them pile up without end.
     */
    static final int MAX_QUEUED = 32;

    private static final AtomicLong COUNT = new AtomicLong();

    final SocketChannel channel;
    final String peer;
    final RequestFramer framer = new RequestFramer();
    /** The bytes of {@link #framer}'s unfinished request the server counts for this connection (its I/O thread's). */
    int unfinishedCounted;
    /** Unique in the process: what a request without Postfix's {@code instance} is remembered under. */
    final String name;
    final ArrayDeque<PolicyRequest> waiting = new ArrayDeque<>();
    private ByteBuffer out = ByteBuffer.allocate(256);
    /** Bytes read after the queue filled up (at most one read's worth), parsed as it drains; null when none. */
    private ByteBuffer held;
    /** A request is being decided: the next waits, so that answers go out in the order of the requests. */
    boolean deciding;
    /** The protocol was broken, or the client closed its side: no more reading; close once answered. */
    boolean readingDone;
    boolean closed;
    /** postgrey's {@code --exim}: the connection ends with its first answer. */
    private final boolean oneAnswer;

    /** @param oneAnswer whether to close the connection once its first answer is sent ({@code --exim}) */
    PolicyConnection(SocketChannel channel, String peer, boolean oneAnswer) {
        this.channel = channel;
        this.peer = peer;
        this.name = peer + " #" + COUNT.incrementAndGet();
        this.oneAnswer = oneAnswer;
    }

    /**
     * Parses what was read until {@link #MAX_QUEUED} requests wait, holding the rest; returns the problem when the
     * client broke the protocol, else null.
     */
    String read(ByteBuffer in) {
        List<PolicyRequest> complete = new ArrayList<>(1);
        try {
            framer.feed(in, complete, MAX_QUEUED - waiting.size());
            if (!in.hasRemaining()) {
                held = null;
            } else if (in != held) {
                held = ByteBuffer.allocate(in.remaining()).put(in).flip(); // the read buffer is the next client's
            }
            return null;
        } catch (RequestFramer.ProtocolException e) {
            readingDone = true;
            held = null;
            return e.getMessage();
        } finally {
            waiting.addAll(complete);
        }
    }

    /** Parses the bytes held back as far as the queue has room; returns the problem as {@link #read} does. */
    String readHeld() {
        return held == null || waiting.size() >= MAX_QUEUED ? null : read(held);
    }

    /** Whether to read more: not at the end, nothing held back, room in the queue, and the answers being read. */
    boolean mayRead() {
        return !readingDone && held == null && waiting.size() < MAX_QUEUED && out.position() < OUTPUT_HIGH_WATER;
    }

    void answer(String action) {
        byte[] bytes = ("action=" + action + "\n\n").getBytes(StandardCharsets.UTF_8);
        if (out.remaining() < bytes.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(out.capacity() * 2, out.position() + bytes.length));
            out.flip();
            bigger.put(out);
            out = bigger;
        }
        out.put(bytes);
        if (oneAnswer) {
            // Exim's readsocket reads its answer until the connection closes, and opens a new one for each query:
            // nothing more is read, and whatever else was sent is left unanswered, as postgrey's --exim leaves it.
            readingDone = true;
            waiting.clear();
            held = null;
        }
    }

    /** Writes what the socket takes now; true when nothing is left to write. */
    boolean flush() throws IOException {
        if (out.position() == 0) {
            return true;
        }
        out.flip();
        channel.write(out);
        out.compact();
        return out.position() == 0;
    }

    /** Nothing more will be read, nothing is being decided or waiting, and every answer went out. */
    boolean finished() {
        return readingDone && held == null && !deciding && waiting.isEmpty() && out.position() == 0;
    }
}
