package org.greylite.daemon;

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
 */
final class RelayProcessorPool implements IoProcessor<NioSession> {

    private static final AttributeKey PROCESSOR = new AttributeKey(RelayProcessorPool.class, "processor");

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
            p = processors[Math.floorMod(next.getAndIncrement(), processors.length)];
            Object earlier = session.setAttributeIfAbsent(PROCESSOR, p);
            if (earlier != null) {
                p = (SyscallSavingNioProcessor) earlier;
            }
        }
        return p;
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
