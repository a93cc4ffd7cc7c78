package org.greylite.policy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.greylite.config.FileErrors;
import org.greylite.config.RepeatedWarning;
import org.greylite.net.AcceptFailure;
import org.greylite.net.AddressText;
import org.greylite.net.IdleSpin;
import org.greylite.net.InetListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners, TCP and unix socket, and every client connection on one I/O thread with a selector. Postfix
 * keeps one connection per smtpd process and sends one request at a time on it, so hundreds of connections
 * carry little traffic each: one thread reads and writes them all. MINA was not used because it has no unix
 * sockets, and one small loop serves both kinds alike.
 *
 * <p>A decision runs where {@link PolicyService} runs it: with an SQLite greydb on this thread (its one
 * connection takes decisions one at a time anyway, and a hand-off to another thread and back would cost two
 * wake-ups per request, more than the decision), gathered over a turn of the loop and decided in one transaction
 * at its end ({@link DecisionTurn}); with PostgreSQL on a pool; an answer from the pool comes back through a
 * queue and a selector wake-up. A decision that waited for a DNS whitelist lookup comes back the same
 * way before it is decided ({@link #onIoThread}).
 */
final class PolicyServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyServer.class);

    /** The JVM property that sets {@link IdleSpin}'s window in microseconds (0: never look), for benchmarks. */
    static final String SPIN_PROPERTY = "greylite.policy.spin-micros";

    private final Selector selector;
    private final PolicyService service;
    private final DecisionTurn turn; // or null: decisions run where the service runs them, answered at once
    /** Looks at the sockets for a moment after answering before sleeping, while requests come close together. */
    private final IdleSpin idleSpin = IdleSpin.fromProperty(SPIN_PROPERTY);
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> handedBack = new ConcurrentLinkedQueue<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);

    /** The most bytes the unfinished requests of all connections may hold together: 16,000 requests of 1 KB. */
    static final long MAX_UNFINISHED_BYTES = 16L * 1024 * 1024;
    /** What they hold now (see {@link #tooMuchUnfinished}); the I/O thread's alone. */
    private long unfinishedBytes;
    private final RepeatedWarning unfinishedWarning = new RepeatedWarning();
    private final Thread thread;
    private Path unixSocket;
    private InetSocketAddress tcpAddress;
    private volatile boolean running = true;
    /** Told of a failure that ended the I/O loop while the service was to go on ({@link #whenLoopFails}). */
    private volatile java.util.function.Consumer<Throwable> loopFailed = failure -> { };
    /** The connection whose {@link #progress} is on the I/O thread's stack, or null (I/O thread only). */
    private PolicyConnection progressing;
    /** Runs a task on the I/O thread, at its next turn. */
    private final Executor onIoThread = this::handBack;
    /** The most requests any connection had waiting, for the tests of {@link PolicyConnection#MAX_QUEUED}. */
    private volatile int mostWaiting;
    /**
     * Whether the listeners rest after a failed accept, and until when ({@link System#nanoTime()}). A client the
     * kernel has queued stays there when the accept fails (no file descriptor left, say), so the selector would
     * report it again at once: the loop would spin and log without end.
     */
    private boolean listenersResting;
    private long listenersRestUntil;
    /** postgrey's {@code --exim}: each connection is closed once answered (see {@link #oneAnswerPerConnection}). */
    private boolean oneAnswerPerConnection;

    PolicyServer(PolicyService service) throws IOException {
        this(service, null);
    }

    /** @param turn where the service's decisions are gathered for one transaction per turn, or null (see {@link DecisionTurn}) */
    PolicyServer(PolicyService service, DecisionTurn turn) throws IOException {
        this.service = service;
        this.turn = turn;
        this.selector = Selector.open();
        this.thread = new Thread(this::loop, "policy-io");
    }

    /**
     * Listens on a TCP address (port 0: any free port, see {@link #tcpAddress()}), on the family it names
     * ({@link InetListener}).
     */
    PolicyServer listenTcp(InetSocketAddress address, int backlog) throws IOException {
        ServerSocketChannel ch;
        try {
            ch = InetListener.open(address, backlog);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + AddressText.withPort(address) + ": " + e.getMessage(), e);
        }
        tcpAddress = (InetSocketAddress) ch.getLocalAddress();
        register(ch);
        return this;
    }

    /**
     * Listens on a unix socket; a socket file left by an earlier run is replaced (as postgrey does), any other
     * file at that path is an error, and so is a socket another process still serves (replacing it would take
     * that service away from Postfix without a word). {@code mode} (postgrey's {@code --socketmode}, 0666 by
     * default) lets Postfix's smtpd, running as another user, connect.
     */
    PolicyServer listenUnix(Path path, Set<PosixFilePermission> mode, int backlog) throws IOException {
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS) || Files.isDirectory(path)) {
                throw new IOException("cannot listen on unix socket " + path + ": a file that is not a socket is in the way");
            }
            boolean served;
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(path));
                served = true;
            } catch (java.net.ConnectException refused) {
                served = false; // nobody listens: a socket file left by a run that ended
            } catch (IOException e) {
                // Permission denied, say: the socket of another user's service, which may well be running.
                throw new IOException("cannot listen on unix socket " + path
                        + ": cannot tell whether another process serves it (" + FileErrors.describe(path, e) + ")", e);
            }
            if (served) {
                throw new IOException("cannot listen on unix socket " + path + ": another process is serving it");
            }
            try {
                Files.delete(path);
            } catch (IOException e) {
                throw new IOException("cannot listen on unix socket " + path + ": the socket file left by a run that "
                        + "ended cannot be removed (" + FileErrors.describe(path, e) + ")", e);
            }
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path), backlog);
            Files.setPosixFilePermissions(path, mode);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot listen on unix socket " + path + ": " + FileErrors.describe(path, e), e);
        }
        unixSocket = path;
        register(ch);
        return this;
    }

    private void register(ServerSocketChannel ch) throws IOException {
        ch.configureBlocking(false);
        ch.register(selector, SelectionKey.OP_ACCEPT);
        listeners.add(ch);
    }

    /**
     * postgrey's {@code --exim}: each connection is closed after its first answer, for Exim's {@code readsocket},
     * which sends one query per connection and takes the end of the connection for the end of the answer. Before
     * {@link #start()}.
     */
    PolicyServer oneAnswerPerConnection() {
        oneAnswerPerConnection = true;
        return this;
    }

    /**
     * What to do when the I/O loop ends by a failure rather than by {@link #close()} (an OutOfMemoryError, a
     * selector that fails): the listeners and connections are closed by then, and the service answers nobody, so
     * the program must end for its supervisor to start it again. Without this, the process ran on serving nothing:
     * systemd saw nothing wrong and Postfix deferred all mail with its policy service default action.
     */
    PolicyServer whenLoopFails(java.util.function.Consumer<Throwable> action) {
        loopFailed = action;
        return this;
    }

    PolicyServer start() {
        thread.start();
        return this;
    }

    /** The TCP listener's address, or null. */
    InetSocketAddress tcpAddress() {
        return tcpAddress;
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (unixSocket != null) {
            try {
                Files.deleteIfExists(unixSocket);
            } catch (IOException e) {
                LOG.warn("unix socket {} cannot be removed: {}", unixSocket, e.getMessage());
            }
        }
    }

    private void loop() {
        Throwable failure = null;
        try {
            long lastLookNanos = System.nanoTime();
            while (running) {
                boolean slept = false;
                if (turn != null && turn.pending()) {
                    selector.selectNow(); // decisions wait for this turn's end: no sleeping before it
                } else if (!idleSpin.lookBriefly(this::readyNow) && !readyNow()) {
                    // (Asked once more without sleeping: what is ready before the sleep came before it.)
                    if (!listenersResting) {
                        selector.select();
                    } else {
                        selector.select(Math.max(1, (listenersRestUntil - System.nanoTime()) / 1_000_000));
                    }
                    slept = true;
                }
                long now = System.nanoTime();
                if (turn != null) {
                    // What is ready now came after the last look at the sockets, or, when a sleep ended, as it
                    // ended. Requests that came while the turn before waited for another process's lock waited
                    // as long in their sockets: their busy timeout counts from their coming, not from this read.
                    turn.requestsCameSince(slept ? now : lastLookNanos);
                }
                lastLookNanos = now;
                if (listenersResting && System.nanoTime() - listenersRestUntil >= 0) {
                    listen(true);
                }
                if (!selector.selectedKeys().isEmpty()) {
                    idleSpin.requestCame(System.nanoTime());
                }
                Runnable r;
                while ((r = handedBack.poll()) != null) {
                    r.run();
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept((ServerSocketChannel) key.channel());
                    } else {
                        PolicyConnection c = (PolicyConnection) key.attachment();
                        try {
                            if (key.isReadable()) {
                                read(key, c);
                            }
                            if (key.isValid() && key.isWritable()) {
                                progress(key, c);
                            }
                        } catch (IOException e) {
                            LOG.debug("policy client {}: {}", c.peer, e.getMessage());
                            close(key, c);
                        } catch (RuntimeException | StackOverflowError | LinkageError e) {
                            // A defect, or a class a package upgrade took away: this connection goes (Postfix
                            // answers its message 451 and asks again on a new one), and the loop serving every
                            // other connection goes on, where it would have ended with the service still running.
                            closeAfterFailure(key, c, e);
                        }
                    }
                }
                boolean served = !selector.selectedKeys().isEmpty();
                selector.selectedKeys().clear();
                if (turn != null) {
                    turn.finish();
                }
                if (served) {
                    idleSpin.answered(System.nanoTime());
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            failure = e;
            LOG.error("policy service I/O loop stopped: {}", e.toString());
        } catch (RuntimeException | Error e) {
            // What the per-connection guards do not take (an OutOfMemoryError, say): said once, and the program ends.
            failure = e;
            try {
                LOG.error("policy service I/O loop stopped", e);
            } catch (Throwable again) { // a heap still full fails the line too; the end must still come
                // the program's own line, once the connections' memory is let go, says it ends
            }
        } finally {
            // Each step guarded: after an OutOfMemoryError any of them may meet another, and one that escaped left
            // the process running with no I/O thread, answering nobody, never ending (Postfix deferred every RCPT).
            try {
                for (SelectionKey key : selector.keys()) {
                    try {
                        key.channel().close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            } catch (Throwable again) { // as above
                // the process ends below, which closes them
            }
            try {
                selector.close();
            } catch (IOException | RuntimeException | Error ignored) {
                // closing anyway
            }
            if (failure != null && running) {
                loopFailed.accept(failure);
            }
        }
    }

    /**
     * Whether a socket is ready or a task was handed back, asked without sleeping; what is ready stays selected for
     * the loop. The selectNow clears a wake-up asked before it, so the queue is looked at after it: a task handed
     * back later wakes the select that follows.
     */
    private boolean readyNow() {
        try {
            return selector.selectNow() > 0 || !handedBack.isEmpty() || !running;
        } catch (IOException e) {
            return true; // the select that follows reports it
        }
    }

    private void accept(ServerSocketChannel listener) {
        try {
            SocketChannel ch;
            while ((ch = listener.accept()) != null) {
                ch.configureBlocking(false);
                Object remote = ch.getRemoteAddress();
                String peer = remote instanceof InetSocketAddress a
                        ? AddressText.withPort(a) : "unix:" + unixSocket;
                PolicyConnection c = new PolicyConnection(ch, peer, oneAnswerPerConnection);
                ch.register(selector, SelectionKey.OP_READ, c);
                service.metrics().connectionOpened();
            }
        } catch (IOException e) {
            // Out of file descriptors, say: the pending client waits in the kernel's queue while the listeners rest.
            LOG.warn("accepting a policy client failed: {}; " + AcceptFailure.ADVICE, e.getMessage());
            listen(false);
        }
    }

    /** Stops or resumes taking new clients on every listener; the connections already taken go on meanwhile. */
    private void listen(boolean take) {
        listenersResting = !take;
        listenersRestUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AcceptFailure.PAUSE_MILLIS);
        for (ServerSocketChannel listener : listeners) {
            SelectionKey key = listener.keyFor(selector);
            if (key != null && key.isValid()) {
                key.interestOps(take ? SelectionKey.OP_ACCEPT : 0);
            }
        }
    }

    private void read(SelectionKey key, PolicyConnection c) throws IOException {
        if (!c.mayRead()) {
            return; // selected as readable before a task handed back in this turn stopped its reading
        }
        readBuffer.clear();
        int n = c.channel.read(readBuffer);
        if (n < 0) {
            c.readingDone = true;
        } else {
            readBuffer.flip();
            parsed(c, c.read(readBuffer));
            recount(c);
            if (unfinishedBytes > MAX_UNFINISHED_BYTES && c.framer.unfinishedBytes() > 0) {
                tooMuchUnfinished(key, c);
                return;
            }
        }
        progress(key, c);
    }

    /**
     * Brings {@link #unfinishedBytes} up to date with what {@code c}'s framer holds now. Called after every parse of its
     * bytes, those read and those held back ({@link PolicyConnection#readHeld}): a request begun in the held bytes and
     * ended by a later read was otherwise taken off the sum without ever having been added to it, and a client that
     * pipelined could so take the bound down as far as it liked.
     */
    private void recount(PolicyConnection c) {
        int now = c.framer.unfinishedBytes();
        unfinishedBytes += now - c.unfinishedCounted;
        c.unfinishedCounted = now;
    }

    /**
     * Closes a connection whose unfinished request took the sum of all of them past {@link #MAX_UNFINISHED_BYTES}. Each
     * connection may hold a request of up to 64 KiB while it waits for the empty line, and nothing else bounds how many
     * do so: 5,500 connections (the unix socket is any local user's by default) ran the heap out, and the service
     * stopped answering. Postfix writes each request whole, so its own never linger unfinished.
     */
    private void tooMuchUnfinished(SelectionKey key, PolicyConnection c) {
        service.metrics().protocolError();
        long skipped = unfinishedWarning.admit();
        if (skipped >= 0) {
            LOG.warn("policy client {}: unfinished requests hold {} bytes together, more than the {} taken: connection"
                    + " closed (Postfix writes each request whole){}", c.peer, unfinishedBytes, MAX_UNFINISHED_BYTES,
                    RepeatedWarning.more(skipped));
        }
        close(key, c);
    }

    private void parsed(PolicyConnection c, String problem) {
        if (c.waiting.size() > mostWaiting) {
            mostWaiting = c.waiting.size();
        }
        if (problem != null) {
            service.metrics().protocolError();
            LOG.warn("policy client {} broke the protocol ({}): connection closed after {} answer(s) due",
                    c.peer, problem, c.waiting.size() + (c.deciding ? 1 : 0));
        }
    }

    /** What the unfinished requests of the open connections hold together (see {@link #MAX_UNFINISHED_BYTES}). */
    long unfinishedBytes() {
        return unfinishedBytes;
    }

    /** The most requests one connection had waiting at once since the start (see {@link PolicyConnection#MAX_QUEUED}). */
    int mostWaiting() {
        return mostWaiting;
    }

    /**
     * Takes the waiting requests in turn (parsing more of what was held back as the queue drains), writes what is
     * answered, and closes a finished connection.
     */
    private void progress(SelectionKey key, PolicyConnection c) throws IOException {
        PolicyConnection outer = progressing;
        progressing = c;
        try {
            while (!c.closed) {
                parsed(c, c.readHeld());
                recount(c);
                if (c.deciding || c.waiting.isEmpty()) {
                    break;
                }
                PolicyRequest request = c.waiting.poll();
                c.deciding = true;
                service.handle(request, c.name, onIoThread, action -> answered(key, c, action));
            }
        } finally {
            progressing = outer;
        }
        if (c.closed) {
            return;
        }
        boolean flushed = c.flush();
        if (c.finished()) {
            close(key, c);
            return;
        }
        int ops = flushed ? 0 : SelectionKey.OP_WRITE;
        if (c.mayRead()) {
            ops |= SelectionKey.OP_READ;
        }
        key.interestOps(ops);
    }

    private void answered(SelectionKey key, PolicyConnection c, String action) {
        boolean here = Thread.currentThread() == thread;
        boolean held = here && turn != null && turn.holdsAnswers();
        if (here && progressing == c && !held) {
            c.deciding = false;
            c.answer(action);
            return; // progress() is on the stack and goes on with the next request
        }
        // From a decider thread; or on the I/O thread when a task handed back (after a DNS whitelist lookup)
        // decided, with nothing on the stack to write the answer and take the next request.
        Runnable send = () -> {
            c.deciding = false;
            if (c.closed) {
                return;
            }
            c.answer(action);
            try {
                progress(key, c);
            } catch (IOException e) {
                LOG.debug("policy client {}: {}", c.peer, e.getMessage());
                close(key, c);
            } catch (RuntimeException | StackOverflowError | LinkageError e) {
                closeAfterFailure(key, c, e); // as in the loop: the loop that runs this task goes on
            }
        };
        if (held) {
            turn.afterCommit(send); // decided in this turn's transaction: answered once it has committed
        } else if (here) {
            send.run();
        } else {
            onIoThread.execute(send);
        }
    }

    /** An unforeseen failure on {@code c}: logged with its trace, the answers already due sent if they can be, closed. */
    private void closeAfterFailure(SelectionKey key, PolicyConnection c, Throwable failure) {
        LOG.error("policy client {}: unexpected failure, connection closed", c.peer, failure);
        try {
            c.flush();
        } catch (IOException gone) {
            // closed below anyway
        }
        close(key, c);
    }

    private void handBack(Runnable task) {
        handedBack.add(task);
        selector.wakeup();
    }

    private void close(SelectionKey key, PolicyConnection c) {
        if (!c.closed) {
            service.metrics().connectionClosed();
            unfinishedBytes -= c.unfinishedCounted;
            c.unfinishedCounted = 0;
        }
        c.closed = true;
        key.cancel();
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // gone anyway
        }
    }
}
