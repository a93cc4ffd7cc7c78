package org.greylite.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.session.AbstractIoSession;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSession;
import org.greylite.smtp.ByteQueue;

/**
 * Writes to one leg of a relay with one write request outstanding at a time: bytes written meanwhile wait here
 * and leave together, as one request of at most {@link #MAX_REQUEST} bytes, when it has been sent.
 *
 * <p>Why not hand MINA each piece at once: on a leg under TLS, MINA's SslFilter encrypts a request of several TLS
 * records only while at most six records wait for the socket; the rest of it, and every request after it, waits
 * in a queue of at most 64 requests, and the next one fails. Message text forwarded in large reads to an upstream
 * slower than the client would get there. And a session's {@code closeOnFlush()} passes the filter by, so a
 * request still queued inside it would be cut off by the close. One request of two records at a time is always
 * encrypted as soon as it is written, so the close comes after it.
 *
 * <p>On such a leg, too, only the session's I/O thread hands MINA anything: what another thread writes (a
 * decision's reply, a timer's 421) waits here and is sent at the thread's next turn. MINA's SslFilter encrypts
 * under a lock but passes the records on after letting it go, so records encrypted by two threads can reach the
 * socket in the other order; under TLS 1.3 a record out of order cannot be decrypted ("Tag mismatch"), and the
 * peer ends the session. With one thread, the order in which they were encrypted is the order they leave in.
 * (The handshake's own work runs on that thread too: {@link org.greylite.daemon.tls.InlineTaskEngine}.)
 *
 * <p>A leg that can never be under TLS (no certificate for clients, no {@code --upstream-tls}) needs none of
 * this: its writes go to MINA at once, without the copy and the lock. Better still, on the session's own I/O
 * thread, with nothing of it waiting in MINA's queue, they go straight to the socket: MINA would only have
 * queued the bytes, scheduled a flush and made that very {@code write} call a moment later on the same thread,
 * then reported it through its filter chain. What the socket does not take at once (a reader that lags) goes to
 * MINA after all, in order, and is counted in the {@linkplain #backlog backlog} as before.
 */
final class LegWriter {

    /** Two TLS records (16 KB each): within the six the SslFilter lets wait for the socket. */
    static final int MAX_REQUEST = 32 * 1024;

    private final IoSession session;
    private final boolean direct;
    /**
     * The I/O processor of the session in greylited's pool, or null: on a direct leg its thread may write to the
     * socket itself; on a leg that may be under TLS, only its thread hands MINA the bytes.
     */
    private final SyscallSavingNioProcessor owner;
    private final SocketChannel channel;
    private final ByteQueue waiting = new ByteQueue();
    private final List<Runnable> whenSent = new ArrayList<>();
    private boolean requestOutstanding;
    private boolean closeRequested;
    /** A turn of the I/O thread has been asked for to send what waits ({@link #sendOnOwnThread}). */
    private boolean sendQueued;

    /** @param tlsPossible whether TLS may start on this leg; without it every write goes straight to MINA */
    LegWriter(IoSession session, boolean tlsPossible) {
        this.session = session;
        this.direct = !tlsPossible;
        SyscallSavingNioProcessor p = RelayProcessorPool.processorOf(session);
        this.owner = p != null && session instanceof NioSession ? p : null;
        this.channel = direct && owner != null ? MinaInternals.channel((NioSession) session) : null;
    }

    void write(byte[] bytes) {
        if (!direct) {
            write(bytes, null);
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (owner != null && owner.inIoThread() && nothingQueued()) {
            try {
                int n = channel.write(b);
                if (n > 0 && session instanceof AbstractIoSession s) {
                    // What MINA's own write would record: the idle timeouts run from the last byte either way, so a
                    // client given its reply now (after a slow upstream, a greeting delay) has a whole timeout.
                    s.increaseScheduledWriteBytes(n);
                    s.increaseWrittenBytes(n, System.currentTimeMillis());
                }
            } catch (IOException e) {
                // Left to MINA: the same write fails there, and the session closes through its usual path.
            }
            if (!b.hasRemaining()) {
                return;
            }
        }
        session.write(IoBuffer.wrap(b));
    }

    /** Nothing of this session waits in MINA's queue or is being written by it, and it is not closing. */
    private boolean nothingQueued() {
        return !session.isClosing() && session.getCurrentWriteRequest() == null
                && session.getWriteRequestQueue().isEmpty(session);
    }

    /**
     * Writes {@code bytes}, then runs {@code then} (if not null) on the I/O thread that learns they have been
     * sent, before it reads anything more from the session. Registered before the bytes go to MINA, so it cannot
     * miss their sending.
     */
    synchronized void write(byte[] bytes, Runnable then) {
        if (direct) {
            throw new IllegalStateException("a leg without TLS has no use for a task after a write");
        }
        if (closeRequested) {
            return; // the session is closing: nothing more can go out after the close
        }
        waiting.append(java.nio.ByteBuffer.wrap(bytes));
        if (then != null) {
            whenSent.add(then);
        }
        sendWhenFree();
    }

    /** Sends what waits, if no request is outstanding: at once on the session's I/O thread, else at its next turn. */
    private void sendWhenFree() {
        if (requestOutstanding) {
            return;
        }
        if (owner == null || owner.inIoThread()) {
            sendNext();
        } else if (!sendQueued) {
            sendQueued = true;
            owner.execute(this::sendOnOwnThread);
        }
    }

    /** The I/O thread's turn asked for by {@link #sendWhenFree}. */
    private synchronized void sendOnOwnThread() {
        sendQueued = false;
        if (!requestOutstanding) {
            sendNext();
        }
    }

    /** MINA has sent our outstanding request ({@code messageSent}): the next one may go. */
    void sent() {
        if (direct) {
            return;
        }
        List<Runnable> run;
        synchronized (this) {
            requestOutstanding = false;
            sendNext();
            if (requestOutstanding || whenSent.isEmpty()) {
                return;
            }
            run = new ArrayList<>(whenSent);
            whenSent.clear();
        }
        // Outside the lock: the task may call into the relay, whose lock is taken before this one elsewhere.
        run.forEach(Runnable::run);
    }

    /** Bytes written and not yet sent: here, and in MINA's queue. */
    long backlog() {
        if (direct) {
            return session.getScheduledWriteBytes();
        }
        synchronized (this) {
            return waiting.size() + session.getScheduledWriteBytes();
        }
    }

    /** Closes the session once what was written has been sent. */
    void closeOnFlush() {
        if (direct) {
            session.closeOnFlush();
            return;
        }
        synchronized (this) {
            closeOnFlushLocked();
        }
    }

    private void closeOnFlushLocked() {
        closeRequested = true;
        sendWhenFree(); // with nothing waiting, that is the close
    }

    private void sendNext() {
        if (waiting.isEmpty()) {
            if (closeRequested) {
                session.closeOnFlush();
            }
            return;
        }
        requestOutstanding = true;
        session.write(IoBuffer.wrap(waiting.take(Math.min(waiting.size(), MAX_REQUEST))));
    }
}
