package org.greylite.greydaemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.greylite.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side: one thread receives a datagram, parses it, has the engine decide it (each decision committed
 * in the greydb) and sends the answer, then reads the next, as greydaemon did. Handing requests from a
 * receiving thread to a deciding thread was tried and measured slower (about 4,400 against 5,000 decisions/s
 * with one client, the machine at a load of 15 to 22): on a busy machine every hand-off is one more thread to wake, and the greydb takes one writer at
 * a time anyway, so a second thread adds no parallelism where it matters. Datagrams that arrive meanwhile
 * wait in the socket's receive buffer (1 MB asked for), as they waited for greydaemon.
 *
 * <p>The greydb's write-ahead log is copied into the database file by a {@link WalCheckpointer} of its own.
 *
 * <p>A malformed datagram gets no answer (the patched qmail-smtpd then times out and lets the mail in, as it
 * always did when greydaemon was silent) and a log line. Expired rows are purged by a timer thread, which
 * takes its turn on the greydb between two decisions.
 */
final class UdpService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UdpService.class);

    private final DatagramChannel channel;
    private final EngineDecisions decisions;
    private final WalCheckpointer checkpointer; // or null
    private final GreydaemonMetrics metrics;
    private final ScheduledExecutorService purges;
    private final Thread server;
    private volatile boolean closing;

    private UdpService(DatagramChannel channel, EngineDecisions decisions, WalCheckpointer checkpointer,
                       Duration purgeEvery, GreydaemonMetrics metrics) {
        this.channel = channel;
        this.metrics = metrics;
        this.decisions = decisions;
        this.checkpointer = checkpointer;
        this.purges = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "purge");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, purgeEvery.getSeconds());
        purges.scheduleWithFixedDelay(this::purge, every, every, TimeUnit.SECONDS);
        this.server = new Thread(this::serve, "greydb");
    }

    /**
     * Binds {@code listen} and starts serving.
     *
     * @throws IOException naming the address when it cannot be bound
     */
    static UdpService start(InetSocketAddress listen, EngineDecisions decisions, WalCheckpointer checkpointer,
                            Duration purgeEvery, GreydaemonMetrics metrics) throws IOException {
        DatagramChannel ch = DatagramChannel.open(listen.getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET);
        try {
            // A burst from many qmail-smtpd processes waits in the kernel rather than being dropped there.
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            ch.bind(listen);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot bind UDP " + listen.getAddress().getHostAddress() + ":" + listen.getPort()
                    + ": " + e.getMessage(), e);
        }
        UdpService s = new UdpService(ch, decisions, checkpointer, purgeEvery, metrics);
        s.server.start();
        return s;
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    private void serve() {
        ByteBuffer buf = ByteBuffer.allocateDirect(Request.MAX_SIZE + 1);
        byte[] bytes = new byte[Request.MAX_SIZE + 1];
        ByteBuffer reply = ByteBuffer.allocateDirect(2);
        while (true) {
            SocketAddress from;
            try {
                buf.clear();
                from = channel.receive(buf);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closing) {
                    return;
                }
                LOG.error("UDP receive failed, going on: {}", e.getMessage());
                continue;
            }
            int length = buf.position();
            buf.flip();
            buf.get(bytes, 0, length);
            Request request;
            try {
                request = Request.parse(bytes, length);
            } catch (Request.Malformed e) {
                LOG.warn("malformed request from {} ({} bytes): {}; not answered", describe(from), length, e.getMessage());
                metrics.malformed();
                continue;
            }
            Answer a;
            try {
                a = decisions.decide(request); // committed in the greydb when it returns
            } catch (RuntimeException e) {
                LOG.error("deciding the request from {} failed, not answered (the client lets the mail in): {}",
                        describe(from), e.toString());
                metrics.undecided();
                continue;
            }
            metrics.answered(a);
            try {
                reply.clear();
                reply.put(a.bytes()).flip();
                channel.send(reply, from);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("cannot send the answer {} to {}: {}", a, describe(from), e.getMessage());
            }
        }
    }

    private void purge() {
        try {
            int n = decisions.purgeExpired();
            if (n > 0) {
                LOG.info("purge: {} expired greydb row(s) removed", n);
            }
        } catch (StoreException e) {
            metrics.purgeFailed();
            LOG.error("purge failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("purge failed unexpectedly: {}", e.toString());
        }
    }

    private static String describe(SocketAddress a) {
        return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() + ":" + i.getPort() : String.valueOf(a);
    }

    /** Stops serving, then closes the greydb once a decision under way is committed. */
    @Override
    public void close() {
        closing = true;
        purges.shutdownNow();
        try {
            channel.close();
            server.join(10_000);
        } catch (IOException e) {
            LOG.warn("closing the UDP socket: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (checkpointer != null) {
            checkpointer.close();
        }
        decisions.close();
    }

    /** Waits until the service is closed. */
    void awaitClosed() throws InterruptedException {
        server.join();
    }
}
