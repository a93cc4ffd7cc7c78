package org.greylite.greydaemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.greylite.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side: one thread receives and parses datagrams, one thread (the greydb thread) decides them in
 * arrival order and sends each answer once its decision is committed. Two threads, so that on a machine with
 * two cores the next datagram is read and parsed while the greydb commits the last decision; one greydb
 * thread, because an SQLite greydb takes one writer at a time anyway and one connection never waits for a lock
 * of its own process. A malformed datagram gets no answer (the patched qmail-smtpd then times out and lets the
 * mail in, as it always did when greydaemon was silent) and a log line.
 *
 * <p>The greydb thread's queue is bounded: past {@link #QUEUE_LIMIT} waiting requests, more are dropped with a
 * warning (their senders time out and deliver) rather than answered too late to matter.
 */
final class UdpService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UdpService.class);

    static final int QUEUE_LIMIT = 10_000;

    private final DatagramChannel channel;
    private final EngineDecisions decisions;
    private final ThreadPoolExecutor greydb;
    private final ScheduledExecutorService purges;
    private final Thread receiver;
    private volatile boolean closing;

    private UdpService(DatagramChannel channel, EngineDecisions decisions, Duration purgeEvery) {
        this.channel = channel;
        this.decisions = decisions;
        this.greydb = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE_LIMIT),
                r -> new Thread(r, "greydb"));
        this.purges = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "purge-timer");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, purgeEvery.getSeconds());
        purges.scheduleWithFixedDelay(this::queuePurge, every, every, TimeUnit.SECONDS);
        this.receiver = new Thread(this::receive, "udp-receiver");
    }

    /**
     * Binds {@code listen} and starts serving.
     *
     * @throws IOException naming the address when it cannot be bound
     */
    static UdpService start(InetSocketAddress listen, EngineDecisions decisions, Duration purgeEvery) throws IOException {
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
        UdpService s = new UdpService(ch, decisions, purgeEvery);
        s.receiver.start();
        return s;
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    private void receive() {
        ByteBuffer buf = ByteBuffer.allocateDirect(Request.MAX_SIZE + 1);
        byte[] bytes = new byte[Request.MAX_SIZE + 1];
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
                continue;
            }
            try {
                greydb.execute(() -> answer(request, from));
            } catch (RejectedExecutionException e) {
                if (!closing) {
                    LOG.warn("{} requests already wait for the greydb: request from {} dropped, not answered",
                            QUEUE_LIMIT, describe(from));
                }
            }
        }
    }

    /** On the greydb thread: decide (committed by the engine), then answer. */
    private void answer(Request request, SocketAddress from) {
        Answer a;
        try {
            a = decisions.decide(request);
        } catch (RuntimeException e) {
            LOG.error("deciding the request from {} failed, not answered (the client lets the mail in): {}",
                    describe(from), e.toString());
            return;
        }
        try {
            channel.send(ByteBuffer.wrap(a.bytes()), from);
        } catch (IOException e) {
            if (!closing) {
                LOG.warn("cannot send the answer {} to {}: {}", a, describe(from), e.getMessage());
            }
        }
    }

    private void queuePurge() {
        try {
            greydb.execute(() -> {
                try {
                    int n = decisions.purgeExpired();
                    if (n > 0) {
                        LOG.info("purge: {} expired greydb row(s) removed", n);
                    }
                } catch (StoreException e) {
                    LOG.error("purge failed: {}", e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            // closing, or the queue is full of requests: the next round purges
        }
    }

    private static String describe(SocketAddress a) {
        return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() + ":" + i.getPort() : String.valueOf(a);
    }

    /** Stops receiving, answers what was already received, closes the greydb. */
    @Override
    public void close() {
        closing = true;
        purges.shutdownNow();
        greydb.shutdown();
        try {
            if (!greydb.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("requests still queued after 10 s at shutdown: not answered");
                greydb.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            channel.close();
            receiver.join(5000);
        } catch (IOException e) {
            LOG.warn("closing the UDP socket: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        decisions.close();
    }

    /** Waits until the service is closed. */
    void awaitClosed() throws InterruptedException {
        receiver.join();
    }
}
