package org.greylite.daemon;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.transport.socket.nio.NioProcessor;
import org.apache.mina.transport.socket.nio.NioSession;
import org.greylite.net.AcceptFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MINA's NIO processor, without the system calls that find nothing to do. Each one runs on a thread of its
 * own, so that it can tell its own calls from other threads'.
 *
 * <p><b>One read per readable socket.</b> For TCP, MINA reads a readable socket again and again until a
 * read returns nothing, so every SMTP command and every reply costs a second, empty {@code read}. A read
 * that did not fill the buffer has already taken everything the kernel held; this processor answers the
 * read that follows it with 0 without asking the kernel. Nothing is lost: the selector is level-triggered,
 * so bytes that arrive in between (and the end of the stream) make the socket readable at the next select.
 * The alternative, a per-session "drained" flag, would need a session attribute; MINA hands the same buffer
 * to the read that follows, so the buffer itself tells the two reads of one round apart from any other.
 *
 * <p><b>No wake-up call to a thread that is awake.</b> MINA wakes the selector up for every write, close and
 * new session, from whichever thread: a write to an eventfd, and a read to drain it after the next select.
 * But MINA's loop takes every kind of queued work (new sessions, writes, closes) at each turn, so only a loop
 * asleep in a select needs waking. When the processor's own thread asks (a relay answering on the thread that
 * read the command), nobody is asleep; when another thread asks (the acceptor with a new client, the greydb
 * thread with a decision) while the loop is busy, the loop will reach the work before it sleeps again. Either
 * request then only makes the next select a {@code selectNow()}, which is what the wake-up would have made of
 * it, without the two calls. The eventfd is written only when the loop may be in a blocking select: the loop
 * says so ({@link #mayBlock}) before it looks for requests ({@link #workQueued}), and a requesting thread
 * queues its work and says so before it looks at the loop, so one of the two always sees the other.
 *
 * <p><b>Sockets closed once the selector has let go of them.</b> MINA closes a finished session's socket
 * right after cancelling its selection key, while the selector still holds it. The JDK cannot close a socket
 * a selector holds, so it asks for {@code SO_LINGER} and sends a {@code shutdown} to give the peer its
 * end of stream at once, and leaves the close to the next select: two more calls per socket, four per relayed
 * message. Here the socket is closed just after that next select, which then does not block: the peer gets
 * its end of stream a moment later from the {@code close} itself, and no call is made for nothing.
 *
 * <p><b>Clients accepted on this thread.</b> A listening socket handed to {@link #listen} is watched by this
 * processor's own selector, and a client waiting on it is accepted here, between sessions' reads, rather than
 * by MINA's acceptor thread: that thread would wake for every client and hand it over (a context switch on
 * each side). Its selection key carries a {@link Listener} rather than a session; the iterators MINA's loop
 * asks for ({@link #selectedSessions}, {@link #allSessions}) leave such keys out, the first after having the
 * listener accept.
 *
 * <p><b>Idle timeouts on the monotonic clock.</b> Before each select, once a second, an {@link IdleSweep} tells the
 * handler of each session silent for its timeout ({@link IdleWatch}); a select never blocks past the next sweep.
 * MINA's own idle detection, which reads the wall clock, is left off.
 *
 * <p><b>Work handed to the thread.</b> {@link #execute} runs a task on this thread, at its next turn: what must
 * happen on the thread that owns a session (a write to a leg under TLS, see {@link LegWriter}) is queued here by
 * other threads, with the same wake-up rule as their writes.
 */
final class SyscallSavingNioProcessor extends NioProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(SyscallSavingNioProcessor.class);

    /**
     * The buffer whose last read came back short; the very next read into it is the empty one MINA
     * asks for. Only the processor's thread reads, one session at a time.
     */
    private IoBuffer drained;

    /** The thread that runs this processor's loop, and nothing else. */
    private volatile Thread ioThread;

    /** The own thread asked for a wake-up: the next select must not block. Only that thread uses it. */
    private boolean selectNowNext;

    /** The loop is in a select that may block, or about to enter one: another thread must wake it up. */
    private volatile boolean mayBlock;

    /** Another thread has queued work for the loop since its last select: the next select must not block. */
    private volatile boolean workQueued;

    private final ExecutorService executor;

    /** Sockets of finished sessions whose keys are cancelled: closed after the next select. Own thread only. */
    private final List<ByteChannel> closeAfterSelect = new ArrayList<>();

    /** Tasks handed over by other threads ({@link #execute}), run by the loop before its next select. */
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    /** Listening sockets handed over by other threads, registered by the loop before its next select. */
    private final Queue<Listener> newListeners = new ConcurrentLinkedQueue<>();

    /** Listeners whose accepting failed (no file descriptor left), with the nanoTime to try again. Own thread only. */
    private final Map<Listener, Long> pausedListeners = new HashMap<>();

    /** The idle timeouts of this thread's sessions, on the monotonic clock. Own thread only. */
    private final IdleSweep idleSweep = new IdleSweep(System::nanoTime);

    private SyscallSavingNioProcessor(ThreadPoolExecutor executor) {
        super(executor);
        this.executor = executor;
    }

    /**
     * A processor on a daemon thread of its own. (While MINA's loop runs on it, MINA names the thread after
     * the class: {@code SyscallSavingNioProcessor-N}.)
     */
    static SyscallSavingNioProcessor onOwnThread() {
        // One core thread that never times out: MINA restarts its loop on it whenever sessions come back.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>());
        SyscallSavingNioProcessor p = new SyscallSavingNioProcessor(executor);
        executor.setThreadFactory(r -> {
            Thread t = new Thread(r, "greylited-io");
            t.setDaemon(true);
            p.ioThread = t;
            return t;
        });
        return p;
    }

    /** True on the thread that runs this processor's loop. */
    boolean inIoThread() {
        return Thread.currentThread() == ioThread;
    }

    /**
     * Runs {@code task} on this processor's thread, at its next turn (any thread may ask; tasks run in the order
     * asked). Only while the processor has sessions: a task for a session runs before that session's next events.
     */
    void execute(Runnable task) {
        tasks.add(task);
        wakeup(); // from this thread: the next select does not block; from another: as for a queued write
    }

    /** Disposes of the processor (its sessions are closed) and lets its thread end. */
    void disposeAndStop() {
        dispose();
        executor.shutdown();
    }

    /**
     * Accepts {@code channel}'s clients on this processor's thread with {@code acceptor} from now on (any thread
     * may ask). Closing the channel ends it; {@link #listenerClosed} then lets the selector go of it at once.
     */
    void listen(ServerSocketChannel channel, Acceptor acceptor) {
        newListeners.add(new Listener(channel, acceptor));
        MinaInternals.startLoop(this); // with no session yet, MINA's loop is not running: it must, to accept
    }

    /** A listening socket was closed: the selector lets go of it at its next select, which must come now. */
    void listenerClosed() {
        wakeup();
    }

    /** The keys in this processor's selector (sessions and listening sockets): how busy its thread is. */
    int load() {
        return selector.keys().size();
    }

    /** Accepts one client waiting on a listening socket, on the I/O thread. */
    interface Acceptor {
        /** False when accepting failed for want of resources: the listener then rests a while. */
        boolean acceptOne(ServerSocketChannel channel);
    }

    /** A listening socket and what accepts its clients: the attachment of its selection key. */
    static final class Listener {
        final ServerSocketChannel channel;
        final Acceptor acceptor;

        Listener(ServerSocketChannel channel, Acceptor acceptor) {
            this.channel = channel;
            this.acceptor = acceptor;
        }
    }

    @Override
    protected Iterator<NioSession> selectedSessions() {
        return sessionsOf(selector.selectedKeys().iterator(), true);
    }

    @Override
    protected Iterator<NioSession> allSessions() {
        selectorLock.readLock().lock();
        try {
            return sessionsOf(selector.keys().iterator(), false);
        } finally {
            selectorLock.readLock().unlock();
        }
    }

    /**
     * The sessions of {@code keys}, listening sockets left out; with {@code accept} (the selected keys), a
     * listening socket passed over has its waiting client accepted, and leaves the selected set as MINA's
     * loop removes a session's key once handled.
     */
    private Iterator<NioSession> sessionsOf(Iterator<SelectionKey> keys, boolean accept) {
        return new Iterator<>() {
            private NioSession next;

            @Override
            public boolean hasNext() {
                while (next == null && keys.hasNext()) {
                    SelectionKey key = keys.next();
                    Object attachment = key.attachment();
                    if (attachment instanceof NioSession) {
                        next = (NioSession) attachment;
                    } else if (accept) {
                        keys.remove();
                        if (key.isValid()) {
                            accept(key, (Listener) attachment);
                        }
                    }
                }
                return next != null;
            }

            @Override
            public NioSession next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                NioSession n = next;
                next = null;
                return n;
            }

            @Override
            public void remove() {
                keys.remove(); // MINA removes right after next(): the underlying iterator is still at that key
            }
        };
    }

    private void accept(SelectionKey key, Listener listener) {
        if (!listener.acceptor.acceptOne(listener.channel)) {
            key.interestOps(0);
            // The monotonic clock: a wall clock stepped back during the pause kept the port unserved for the step.
            pausedListeners.put(listener, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AcceptFailure.PAUSE_MILLIS));
        }
    }

    /** Registers the listening sockets handed over, resumes rested ones, drops all when the processor stops. */
    private void updateListeners() throws IOException {
        for (Listener l; (l = newListeners.poll()) != null; ) {
            if (l.channel.isOpen()) {
                l.channel.register(selector, SelectionKey.OP_ACCEPT, l);
            }
        }
        if (!pausedListeners.isEmpty()) {
            long now = System.nanoTime();
            pausedListeners.entrySet().removeIf(e -> {
                if (e.getValue() - now > 0) {
                    return false;
                }
                SelectionKey key = e.getKey().channel.keyFor(selector);
                if (key != null && key.isValid()) {
                    key.interestOps(SelectionKey.OP_ACCEPT);
                }
                return true;
            });
        }
        if (isDisposing()) {
            // MINA's loop ends only once the selector holds no key: a listening socket must not keep it going.
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Listener) {
                    key.cancel();
                }
            }
        }
    }

    /**
     * MINA replaces a selector that spins (the old epoll bug) by registering every key's channel on a new one,
     * taking each attachment for a session: the listening sockets leave the old selector first and join the new
     * one after.
     */
    @Override
    protected void registerNewSelector() throws IOException {
        List<Listener> listening = new ArrayList<>();
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Listener) {
                listening.add((Listener) key.attachment());
                key.cancel();
            }
        }
        selector.selectNow(); // the cancelled keys leave the selector
        closeDeregistered();
        super.registerNewSelector();
        newListeners.addAll(listening);
    }

    @Override
    protected int read(NioSession session, IoBuffer buf) throws Exception {
        if (buf == drained) {
            drained = null;
            return 0;
        }
        drained = null;
        int n = super.read(session, buf);
        if (n > 0 && buf.hasRemaining()) {
            drained = buf;
        }
        return n;
    }

    @Override
    protected void wakeup() {
        if (inIoThread()) {
            selectNowNext = true;
            return;
        }
        workQueued = true; // after the work itself was queued (MINA queues, then wakes)
        if (mayBlock) {
            super.wakeup();
        }
    }

    @Override
    protected int select(long timeout) throws Exception {
        updateListeners();
        runTasks();
        idleSweep.runIfDue(this::allSessions);
        try {
            if (selectNowNext) {
                selectNowNext = false;
                return selectNow();
            }
            mayBlock = true;
            if (workQueued) {
                return selectNow();
            }
            return super.select(Math.min(timeout, idleSweep.millisUntilDue()));
        } finally {
            // Work queued from now on is taken after this select or flagged for the next one.
            mayBlock = false;
            workQueued = false;
            closeDeregistered(); // the select has removed the cancelled keys from the selector
        }
    }

    /** Runs the tasks other threads handed over; one that fails is logged, and the others still run. */
    private void runTasks() {
        for (Runnable t; (t = tasks.poll()) != null; ) {
            try {
                t.run();
            } catch (RuntimeException | StackOverflowError | LinkageError e) {
                // An Error out of here would end the thread's loop, and every session it serves with it.
                LOG.error("a task on the I/O thread failed", e);
            }
        }
    }

    /** A select that does not block, asked for instead of a wake-up. */
    private int selectNow() throws IOException {
        wakeupCalled.set(true); // as after a real wake-up: an empty select here is not a spinning selector
        selectorLock.readLock().lock();
        try {
            return selector.selectNow();
        } finally {
            selectorLock.readLock().unlock();
        }
    }

    @Override
    protected void destroy(NioSession session) throws Exception {
        ByteChannel channel = MinaInternals.channel(session);
        // The session's key in this processor's selector, asked of the channel: MINA keeps its own copy private.
        SelectionKey key = ((SocketChannel) channel).keyFor(selector);
        if (key == null || !inIoThread()) {
            super.destroy(session);
            return;
        }
        key.cancel();
        if (channel.isOpen()) {
            closeAfterSelect.add(channel);
            selectNowNext = true;
        }
    }

    @Override
    protected void doDispose() throws Exception {
        super.doDispose(); // closing the selector lets go of every key
        closeDeregistered();
    }

    private void closeDeregistered() {
        for (ByteChannel channel : closeAfterSelect) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing to tell anyone: the session is over, and the descriptor is released all the same.
            }
        }
        closeAfterSelect.clear();
    }
}
