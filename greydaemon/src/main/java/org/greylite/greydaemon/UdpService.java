package org.greylite.greydaemon;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.greylite.config.RepeatedWarning;
import org.greylite.config.TimerTasks;
import org.greylite.net.AddressText;
import org.greylite.net.IdleSpin;
import org.greylite.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP side: one thread receives the datagrams waiting, parses them, has the engine decide them all (committed
 * in the greydb) and sends the answers, then reads the next. Handing requests from a receiving thread to a
 * deciding thread was tried and measured slower (about 4,400 against 5,000 decisions/s with one client, the
 * machine at a load of 15 to 22): on a busy machine every hand-off is one more thread to wake, and the greydb
 * takes one writer at a time anyway, so a second thread adds no parallelism where it matters. Datagrams that
 * arrive meanwhile wait in the socket's receive buffer (1 MB asked for), as they waited for greydaemon.
 *
 * <h2>Why the waiting requests are decided together</h2>
 * A decision's commit (the write lock, the write-ahead log's write, and their system calls) cost more than the
 * decision. So the thread takes every datagram already waiting, up to {@link #MAX_BATCH} (fewer when they list
 * {@link #MAX_BATCH_RECIPIENTS} recipients together), and decides them in one
 * greydb transaction ({@link EngineDecisions#decideAll}): one commit for all, before any of them is answered,
 * so each answer is still durable when it is sent. They are decided in the order they came, each seeing the
 * writes of those before it, so the answers are those of one request after another. Waiting a moment for more
 * requests to gather was rejected: with one client it would only add that moment to every answer; the batch
 * forms by itself when requests come faster than they are decided. The two limits bound how long the first
 * of a batch waits for its answer behind the others.
 *
 * <p>The socket is non-blocking, with a selector to wait on when none is waiting: a receive that finds nothing
 * is how the thread knows the batch is complete, which a blocking socket cannot tell. While requests come close
 * together, the thread looks at the socket again for a moment before it sleeps ({@link IdleSpin}): on an idle
 * machine the wake-up cost more than a decision. (Measured on a machine kept busy by other work, looking gained
 * nothing: there the CPUs seldom sleep, so waking is cheap.)
 *
 * <h2>Several sockets</h2>
 * Told to listen on a wildcard, the service answers on a socket per address of the host
 * ({@link ListeningSockets}, which says why), all waited on by the one selector and read by the one thread, in
 * turn: a batch takes what is waiting in each, and the next batch starts at the socket that filled the last one.
 * Each answer leaves by the socket its request came in by. A thread of its own scans the host's addresses every
 * {@link #ADDRESS_SCAN_SECONDS} seconds (and {@link #scanAddresses} on SIGHUP) and hands what it found to the
 * serving thread, which binds and closes sockets between two batches: the scan (reading the interfaces) stays
 * off the thread that answers, and no socket is closed under a read.
 *
 * <p>The greydb's write-ahead log is copied into the database file by a {@link WalCheckpointer} of its own.
 *
 * <p>A malformed datagram gets no answer (the patched qmail-smtpd then times out and lets the mail in, as it
 * always did when greydaemon was silent) and a log line. Expired rows are purged by a timer thread, which
 * takes its turn on the greydb between two batches.
 */
final class UdpService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UdpService.class);

    /** The most requests decided in one greydb transaction (see the class comment). */
    static final int MAX_BATCH = 64;

    /**
     * Once the requests taken list this many recipients together, the batch is complete: a batch is as long as
     * its decisions, and 64 requests of {@link Request#MAX_RECIPIENTS} each would keep the first waiting behind
     * 64,000 of them.
     */
    static final int MAX_BATCH_RECIPIENTS = Request.MAX_RECIPIENTS;

    /** How often the host's addresses are scanned when the service listens on a wildcard. */
    static final int ADDRESS_SCAN_SECONDS = 5;

    private final ListeningSockets sockets;
    /** The sockets read, the serving thread's copy of {@link ListeningSockets#channels}. */
    private List<DatagramChannel> channels;
    /** The socket the next batch is read from first: the one that filled the last batch may hold more. */
    private int firstChannel;
    /** The host's addresses as last scanned, not yet followed by the serving thread (null: none new). */
    private final AtomicReference<Map<String, InetAddress>> scanned = new AtomicReference<>();
    private final ScheduledExecutorService addressScan; // null: not a wildcard
    private final Selector selector;
    private final EngineDecisions decisions;
    private final WalCheckpointer checkpointer; // or null
    private final GreydaemonMetrics metrics;
    /** Anyone who can send a datagram can send a malformed one: a flood of them is one line a minute. */
    private final RepeatedWarning malformedWarning = new RepeatedWarning();
    private final ScheduledExecutorService purges;
    private final Thread server;
    /** The JVM property that sets {@link IdleSpin}'s window in microseconds (0: never look), for benchmarks. */
    static final String SPIN_PROPERTY = "greylite.greydaemon.spin-micros";

    private final IdleSpin idleSpin = IdleSpin.fromProperty(SPIN_PROPERTY);
    private volatile boolean closing;

    private UdpService(ListeningSockets sockets, Selector selector, EngineDecisions decisions,
                       WalCheckpointer checkpointer, Duration purgeEvery, GreydaemonMetrics metrics) {
        this.sockets = sockets;
        this.channels = sockets.channels();
        this.selector = selector;
        this.metrics = metrics;
        this.decisions = decisions;
        this.checkpointer = checkpointer;
        this.purges = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "purge");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, purgeEvery.getSeconds());
        purges.scheduleWithFixedDelay(TimerTasks.outliving("the greydb purge", LOG, this::purge), every, every,
                TimeUnit.SECONDS);
        this.addressScan = sockets.followHost() ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "address-scan");
            t.setDaemon(true);
            return t;
        }) : null;
        if (addressScan != null) {
            addressScan.scheduleWithFixedDelay(TimerTasks.outliving("the scan of the host's addresses", LOG,
                    this::scanAddresses), ADDRESS_SCAN_SECONDS, ADDRESS_SCAN_SECONDS, TimeUnit.SECONDS);
        }
        this.server = new Thread(this::serve, "greydb");
    }

    /**
     * Starts serving on {@code sockets}, bound by {@link ListeningSockets#bind}; closes them when it cannot.
     *
     * @throws IOException when the sockets cannot be waited on
     */
    static UdpService start(ListeningSockets sockets, EngineDecisions decisions, WalCheckpointer checkpointer,
                            Duration purgeEvery, GreydaemonMetrics metrics) throws IOException {
        Selector selector = null;
        try {
            selector = Selector.open();
            for (DatagramChannel ch : sockets.channels()) {
                register(ch, selector);
            }
        } catch (IOException e) {
            sockets.close();
            if (selector != null) {
                selector.close();
            }
            throw new IOException("cannot wait for UDP datagrams: " + e.getMessage(), e);
        }
        UdpService s = new UdpService(sockets, selector, decisions, checkpointer, purgeEvery, metrics);
        s.server.start();
        return s;
    }

    private static void register(DatagramChannel ch, Selector selector) throws IOException {
        ch.configureBlocking(false);
        ch.register(selector, SelectionKey.OP_READ);
    }

    /** The address given, with the port served. */
    InetSocketAddress localAddress() {
        return sockets.address();
    }

    /** The addresses served on, for the log. */
    String describeAddresses() {
        return sockets.describe();
    }

    /**
     * Reads the host's addresses and hands them to the serving thread, which follows them between two batches;
     * nothing when the service listens on one address. Every {@link #ADDRESS_SCAN_SECONDS} seconds, and on
     * SIGHUP. Handed over even when unchanged: an address that could not be bound is tried again.
     */
    void scanAddresses() {
        if (addressScan == null) {
            return;
        }
        Map<String, InetAddress> now;
        try {
            now = HostAddresses.under(sockets.address().getAddress());
        } catch (SocketException e) {
            LOG.warn("cannot read the host's addresses, the sockets stay as they are: {}", e.getMessage());
            return;
        }
        if (now.isEmpty()) {
            return; // not even loopback: a reading gone wrong, not a host that has no address left
        }
        scanned.set(now);
        selector.wakeup(); // after the set: a serving thread about to sleep sees it, or is woken
    }

    /** Follows the host's addresses last scanned, if any came since: between two batches, on the serving thread. */
    private void followScannedAddresses() {
        Map<String, InetAddress> now = scanned.getAndSet(null);
        if (now == null) {
            return;
        }
        for (DatagramChannel ch : sockets.follow(now)) {
            try {
                register(ch, selector);
            } catch (IOException e) {
                LOG.error("cannot wait for UDP datagrams on a new socket: {}", e.getMessage());
            }
        }
        channels = sockets.channels();
        firstChannel = 0;
    }

    private void serve() {
        ByteBuffer buf = ByteBuffer.allocateDirect(Request.MAX_SIZE + 1);
        byte[] bytes = new byte[Request.MAX_SIZE + 1];
        ByteBuffer reply = ByteBuffer.allocateDirect(2);
        List<Request> requests = new ArrayList<>(MAX_BATCH);
        List<ReplyTo> senders = new ArrayList<>(MAX_BATCH);
        // No datagram waiting in the sockets came before this moment: set when receives find every socket empty,
        // and when a wait for a datagram ends (it came during the wait). A batch's busy timeout counts from it,
        // not from when the batch is read: the datagrams read after a batch that waited for another process's
        // lock waited in the socket as long, and a second full busy timeout answered them only after the
        // patched qmail-smtpd (3 s) had given up on them.
        long noneWaitingBefore = System.nanoTime();
        while (!closing) {
            followScannedAddresses();
            long askedNanos = noneWaitingBefore;
            int recipients = 0;
            int count = channels.size();
            int read = 0; // sockets read until none was waiting in them
            try {
                while (read < count && requests.size() < MAX_BATCH && recipients < MAX_BATCH_RECIPIENTS) {
                    DatagramChannel channel = channels.get(firstChannel);
                    buf.clear();
                    SocketAddress received = channel.receive(buf);
                    if (received == null) {
                        read++;
                        firstChannel = (firstChannel + 1) % count;
                        if (read == count) {
                            noneWaitingBefore = System.nanoTime();
                        }
                        continue; // none waiting here; none in any socket: the batch is complete
                    }
                    ReplyTo from = new ReplyTo(channel, received);
                    if (requests.isEmpty()) {
                        idleSpin.requestCame(System.nanoTime());
                    }
                    int length = buf.position(); // MAX_SIZE + 1 for a datagram cut by the read: malformed
                    buf.flip();
                    buf.get(bytes, 0, length);
                    try {
                        Request r = Request.parse(bytes, length);
                        requests.add(r);
                        senders.add(from);
                        recipients += r.recipients().size();
                    } catch (Request.Malformed e) {
                        if (!answeredWithoutRecipients(e, from, reply)) {
                            long skipped = malformedWarning.admit();
                            if (skipped >= 0) {
                                LOG.warn("malformed request from {} ({} bytes): {}; not answered{}", describe(from),
                                        length, e.getMessage(), RepeatedWarning.more(skipped));
                            }
                            metrics.malformed();
                        }
                    }
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closing) {
                    return;
                }
                LOG.error("UDP receive failed, going on: {}", e.getMessage());
            }
            if (requests.isEmpty()) {
                if (idleSpin.lookBriefly(this::datagramWaiting)) {
                    noneWaitingBefore = System.nanoTime();
                    continue;
                }
                if (!await()) {
                    return;
                }
                noneWaitingBefore = System.nanoTime();
                continue;
            }
            if (!answer(requests, senders, askedNanos, reply)) {
                return;
            }
            idleSpin.answered(System.nanoTime());
            requests.clear();
            senders.clear();
        }
    }

    /**
     * Whether a datagram is waiting, asked without sleeping (an error says yes: the receive then reports it), or
     * addresses scanned wait to be followed.
     */
    private boolean datagramWaiting() {
        try {
            int n = selector.selectNow();
            selector.selectedKeys().clear();
            return n > 0 || closing || scanned.get() != null;
        } catch (IOException e) {
            return true;
        }
    }

    /** Waits until a datagram is waiting; false when the service is closing. */
    private boolean await() {
        try {
            if (scanned.get() != null) {
                return !closing; // a wake-up taken by an earlier look: follow the addresses first
            }
            selector.select();
            selector.selectedKeys().clear();
            return !closing;
        } catch (IOException e) {
            if (closing) {
                return false;
            }
            LOG.error("waiting for UDP datagrams failed, going on: {}", e.getMessage());
            return true;
        }
    }

    /**
     * Answers at once a request that lists no recipient, when greydaemon answered it
     * ({@link EngineDecisions#withoutRecipients}); false when it gets no answer. It writes nothing in the greydb, so
     * it needs no place in a batch.
     */
    private boolean answeredWithoutRecipients(Request.Malformed e, ReplyTo from, ByteBuffer reply)
            throws ClosedChannelException {
        if (e.client() == null) {
            return false;
        }
        Answer a;
        try {
            a = decisions.withoutRecipients(e.client(), e.listsNone());
        } catch (RuntimeException | StackOverflowError | LinkageError failure) { // as in answer(), below
            LOG.error("deciding a request without recipients failed, not answered: {}", failure.toString());
            metrics.undecided();
            return true;
        }
        if (a == null) {
            return false;
        }
        LOG.debug("request from {} without recipients ({}): answered {}", describe(from), e.getMessage(), a);
        send(a, from, reply);
        return true;
    }

    /** Decides the batch and sends its answers; false when the socket was closed meanwhile. */
    private boolean answer(List<Request> requests, List<ReplyTo> senders, long askedNanos, ByteBuffer reply) {
        List<Answer> answers;
        try {
            answers = decisions.decideAll(requests, askedNanos); // committed in the greydb when it returns
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            // A defect, a rule too deep for the stack, a class a package upgrade took away under the running
            // daemon: this batch goes unanswered, and the thread that serves every client goes on.
            LOG.error("deciding {} request(s) failed, none answered (their clients let the mail in): {}",
                    requests.size(), e.toString());
            for (int i = 0; i < requests.size(); i++) {
                metrics.undecided();
            }
            return true;
        }
        try {
            for (int i = 0; i < answers.size(); i++) {
                send(answers.get(i), senders.get(i), reply);
            }
        } catch (ClosedChannelException e) {
            return false;
        }
        return true;
    }

    /**
     * Sends {@code a} to {@code to}, by the socket its request came in by; a failure other than the socket's
     * closing is logged and the rest go on.
     */
    private void send(Answer a, ReplyTo to, ByteBuffer reply) throws ClosedChannelException {
        metrics.answered(a);
        try {
            reply.clear();
            reply.put(a.bytes()).flip();
            to.socket().send(reply, to.client());
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            LOG.warn("cannot send the answer {} to {}: {}", a, describe(to), e.getMessage());
        }
    }

    private void purge() {
        try {
            int n = decisions.purgeExpired();
            if (n > 0) {
                LOG.info("purge: {} expired greydb row(s) removed", n);
            }
        } catch (StoreException e) {
            metrics.engine().purgeFailed();
            LOG.error("purge failed: {}", e.getMessage());
        }
    }

    private static String describe(ReplyTo to) {
        return to.client() instanceof InetSocketAddress i ? AddressText.withPort(i) : String.valueOf(to.client());
    }

    /** Who asked, and the socket the request came in by: the answer leaves by it, from the address asked. */
    private record ReplyTo(DatagramChannel socket, SocketAddress client) {
    }

    /** Stops serving, then closes the greydb once a decision under way is committed. */
    @Override
    public void close() {
        closing = true;
        purges.shutdownNow();
        if (addressScan != null) {
            addressScan.shutdownNow();
        }
        selector.wakeup();
        try {
            server.join(10_000); // a batch under way is answered first
            sockets.close();
            selector.close();
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
