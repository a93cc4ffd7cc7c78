package org.greylite.daemon;

import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.apache.mina.transport.socket.nio.NioSession;

/**
 * The I/O threads, shared by the acceptor and the connector, with both legs of a relay on the same one.
 *
 * <p>MINA's own pool spreads sessions by their id, so a client and its upstream connection usually land on
 * different threads, and every command and every reply crosses from one to the other: a wake-up call, a
 * context switch, a lock taken from two sides. Here a client goes to the next thread in turn and its upstream
 * session, before it is added, is {@linkplain #placeWith placed} on the client's: the relay then runs on one
 * thread from the command read to the command forwarded, and its writes need no wake-up at all
 * ({@link SyscallSavingNioProcessor}).
 *
 * <p>A client accepted by an I/O thread itself ({@link IoThreadAcceptor}) stays on that thread, with no hand-off,
 * unless the thread already carries more than the least busy one (by a relay or two): then it goes there. Every
 * thread watches the listening socket, so the one that is free first takes the next client. A client accepted
 * elsewhere (MINA's own acceptor thread) goes to the next thread in turn.
 */
final class RelayProcessorPool implements IoProcessor<NioSession> {

    private static final AttributeKey PROCESSOR = new AttributeKey(RelayProcessorPool.class, "processor");

    /**
     * How many more selection keys than the least busy thread an accepting thread may carry and still keep its
     * new client: two relays' worth (a relay is two sessions), so that most clients stay where they were
     * accepted while no thread takes on much more than its share.
     */
    private static final int BALANCE_SLACK = 4;

    private final SyscallSavingNioProcessor[] processors;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean disposing;
    private volatile boolean disposed;

    RelayProcessorPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("I/O threads must be at least 1: " + threads);
        }
        processors = new SyscallSavingNioProcessor[threads];
        for (int i = 0; i < threads; i++) {
            processors[i] = SyscallSavingNioProcessor.onOwnThread();
        }
    }

    /**
     * Puts {@code session}, not yet added to a processor (call it from a connect's session initializer), on
     * the thread of {@code peer}. Nothing happens when the peer is not in a pool of this kind.
     */
    static void placeWith(IoSession session, IoSession peer) {
        Object p = peer.getAttribute(PROCESSOR);
        if (p != null) {
            session.setAttribute(PROCESSOR, p);
        }
    }

    /**
     * The processor {@code session} is on (or will be added to, once {@link #placeWith placed}); null when it is
     * not in a pool of this kind.
     */
    static SyscallSavingNioProcessor processorOf(IoSession session) {
        return (SyscallSavingNioProcessor) session.getAttribute(PROCESSOR);
    }

    private SyscallSavingNioProcessor processor(NioSession session) {
        SyscallSavingNioProcessor p = (SyscallSavingNioProcessor) session.getAttribute(PROCESSOR);
        if (p == null) {
            if (disposing) {
                throw new IllegalStateException("the I/O threads are stopping");
            }
            p = place();
            Object earlier = session.setAttributeIfAbsent(PROCESSOR, p);
            if (earlier != null) {
                p = (SyscallSavingNioProcessor) earlier;
            }
        }
        return p;
    }

    /** The thread for a new session that nothing has placed: see the class comment. */
    private SyscallSavingNioProcessor place() {
        SyscallSavingNioProcessor own = null;
        SyscallSavingNioProcessor least = null;
        for (SyscallSavingNioProcessor p : processors) {
            if (p.inIoThread()) {
                own = p;
            }
            if (least == null || p.load() < least.load()) {
                least = p;
            }
        }
        if (own == null) {
            return processors[Math.floorMod(next.getAndIncrement(), processors.length)];
        }
        return own.load() <= least.load() + BALANCE_SLACK ? own : least;
    }

    /** Every I/O thread accepts {@code channel}'s clients with {@code acceptor} from now on. */
    void listen(ServerSocketChannel channel, SyscallSavingNioProcessor.Acceptor acceptor) {
        for (SyscallSavingNioProcessor p : processors) {
            p.listen(channel, acceptor);
        }
    }

    /** A listening socket was closed: every I/O thread lets go of it now. */
    void listenerClosed() {
        for (SyscallSavingNioProcessor p : processors) {
            p.listenerClosed();
        }
    }

    @Override
    public void add(NioSession session) {
        processor(session).add(session);
    }

    @Override
    public void flush(NioSession session) {
        processor(session).flush(session);
    }

    @Override
    public void write(NioSession session, WriteRequest writeRequest) {
        processor(session).write(session, writeRequest);
    }

    @Override
    public void remove(NioSession session) {
        processor(session).remove(session);
    }

    @Override
    public void updateTrafficControl(NioSession session) {
        processor(session).updateTrafficControl(session);
    }

    @Override
    public boolean isDisposing() {
        return disposing;
    }

    @Override
    public boolean isDisposed() {
        return disposed;
    }

    @Override
    public synchronized void dispose() {
        if (disposing) {
            return;
        }
        disposing = true;
        for (SyscallSavingNioProcessor p : processors) {
            p.disposeAndStop();
        }
        disposed = true;
    }
}
