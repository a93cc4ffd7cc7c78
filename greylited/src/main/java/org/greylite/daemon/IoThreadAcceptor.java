package org.greylite.daemon;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.greylite.net.AcceptFailure;
import org.greylite.net.InetListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MINA's TCP acceptor, except that clients are accepted by the I/O threads themselves rather than by the
 * acceptor's own thread.
 *
 * <p>MINA's acceptor thread sleeps in a select of its own, wakes for every new client, accepts it, and hands
 * the session to an I/O thread, waking that one too when it sleeps: two threads and at least one context switch
 * per client, which on a busy relay of one-message sessions is one more per message than HAProxy makes. Here
 * the listening socket is watched by every I/O thread's selector ({@link RelayProcessorPool#listen}); the first
 * thread free to see a client accepts it and, the load allowing, keeps it. Binding, unbinding, the session
 * settings and the managed sessions stay MINA's: only where the listening socket is selected changes, so the
 * acceptor's thread still runs, asleep, to bind and unbind.
 *
 * <p>A failed accept (most often no file descriptor left) is logged (once for all the threads, which fail
 * together) and the listening socket rests for
 * {@link AcceptFailure#PAUSE_MILLIS} on that thread, which meanwhile serves its sessions:
 * MINA's acceptor sleeps 50 ms instead, which an I/O thread must not.
 */
final class IoThreadAcceptor extends NioSocketAcceptor {

    private static final Logger LOG = LoggerFactory.getLogger(IoThreadAcceptor.class);

    private final RelayProcessorPool pool;
    /**
     * When a failed accept was last said ({@link System#nanoTime()}): every I/O thread watches the listening socket
     * and rests it on its own, so without this one warning a second would come from each.
     */
    private final AtomicLong lastAcceptWarning = new AtomicLong(System.nanoTime() - TimeUnit.HOURS.toNanos(1));

    IoThreadAcceptor(RelayProcessorPool pool) {
        super(pool);
        this.pool = pool;
    }

    /**
     * Runs on the acceptor's thread when binding: the socket is made as MINA makes it, but watched elsewhere.
     *
     * <p>An Error is handed back as an IOException: MINA fails the bind with an Exception only, and an Error ends its
     * acceptor thread with the bind still waiting for an answer, so greylited neither listened nor exited. The JDK
     * meets one here when no file descriptor is left (the first socket loads a native library, which takes one:
     * UnsatisfiedLinkError), an open-file limit just too low to start with.
     */
    @Override
    protected ServerSocketChannel open(SocketAddress localAddress) throws Exception {
        try {
            return openListening(localAddress);
        } catch (LinkageError e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private ServerSocketChannel openListening(SocketAddress localAddress) throws Exception {
        ServerSocketChannel channel = InetListener.unbound(localAddress); // 0.0.0.0: IPv4 clients alone
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, isReuseAddress());
            int receiveBuffer = getSessionConfig().getReceiveBufferSize();
            if (receiveBuffer > 0) {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer); // inherited by accepted sockets
            }
            channel.bind(InetListener.bindAddress(localAddress), getBacklog()); // ProxyServer names an address not had
            pool.listen(channel, this::acceptOne);
            return channel;
        } catch (Exception e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Runs on the acceptor's thread when unbinding. Closing the channel cancels its keys, but the JDK closes a
     * socket only once no selector holds it, at each I/O thread's next select: the threads are woken for it, and
     * unbinding returns once they have let go (a few milliseconds), so that the port refuses new clients and can
     * be bound again as soon as {@code unbind} returns, as with MINA's own acceptor.
     */
    @Override
    protected void close(ServerSocketChannel channel) throws Exception {
        channel.close();
        pool.listenerClosed();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (channel.isRegistered() && System.nanoTime() < giveUp) {
            Thread.sleep(1); // a stopped I/O thread's selector has let go already: this ends in a few turns
        }
    }

    /** On an I/O thread whose selector saw a client waiting on {@code listening}. */
    private boolean acceptOne(ServerSocketChannel listening) {
        SocketChannel channel;
        try {
            channel = listening.accept();
        } catch (IOException e) {
            long now = System.nanoTime();
            long last = lastAcceptWarning.get();
            if (now - last >= TimeUnit.MILLISECONDS.toNanos(AcceptFailure.PAUSE_MILLIS / 2)
                    && lastAcceptWarning.compareAndSet(last, now)) {
                LOG.warn("cannot accept a client on {}: {}; " + AcceptFailure.ADVICE, address(listening), e.getMessage());
            }
            return false;
        }
        if (channel == null) {
            return true; // another I/O thread took the client
        }
        try {
            NioSession session = MinaInternals.newSession(this, pool, channel);
            initSession(session, null, null);
            pool.add(session);
        } catch (RuntimeException e) {
            // The pool is stopping, or MINA refused the session: the client is let go, the thread goes on.
            LOG.warn("client connection on {} closed at once: {}", address(listening), e.toString());
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing more to do for a connection we could not take.
            }
        }
        return true;
    }

    private static String address(ServerSocketChannel channel) {
        try {
            return String.valueOf(channel.getLocalAddress());
        } catch (IOException e) {
            return "a closed socket";
        }
    }
}
