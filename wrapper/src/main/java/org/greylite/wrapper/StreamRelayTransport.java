package org.greylite.wrapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.greylite.relay.BackPressure;
import org.greylite.relay.ReadGate;
import org.greylite.relay.RelaySession;
import org.greylite.relay.RelayTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RelayTransport} of the tcpserver wrapper: the client is a pair of streams (descriptors 0
 * and 1), the upstream is PROGRAM, a child process talked to through pipes.
 *
 * <p>Threads: one reader per side feeds the relay ({@code onClientData}, {@code onUpstreamData}) and
 * reports the end of input; one {@link OutputPump} per side writes. The relay calls this transport with
 * its lock held, and nothing here blocks under that lock: writes are queued, starting PROGRAM happens on
 * the upstream reader's thread, closing is a request the pumps carry out. A full pipe or a client that
 * does not read can therefore never hold the relay's lock.
 *
 * <p>Back-pressure, both ways, by the relay's {@link BackPressure} rule: each {@link OutputPump} says when its
 * queue goes over the limit and back, and each reader thread waits at its {@link ReadGate}. The relay pauses
 * the client for its own inbox through {@link #pauseClientInput}.
 *
 * <p>The end of the session is the relay's closing. {@link #awaitSessionOver()} returns then;
 * {@link #finishClient} and {@link #programStatus} complete the shutdown.
 */
final class StreamRelayTransport implements RelayTransport, OutputPump.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(StreamRelayTransport.class);

    /** Large enough for bulk DATA, small enough to cost nothing. */
    private static final int CHUNK = 64 * 1024;
    /** PROGRAM's status when SIGTERM ended it (128 plus the signal's number, as {@link Process} reports it). */
    private static final int SIGTERM_STATUS = 128 + 15;
    /** How long to wait for PROGRAM's status once its output has ended (see {@link #programEndedBySigterm}). */
    private static final long EXIT_STATUS_WAIT_MS = 500;

    private final List<String> command;
    private final Map<String, String> env;
    private final InputStream clientIn;
    private final OutputPump toClient;
    private final ReadGate clientGate = new ReadGate();
    private final ReadGate upstreamGate = new ReadGate();
    private final BackPressure backPressure = new BackPressure(clientGate);
    private final CountDownLatch sessionOver = new CountDownLatch(1);
    private final CountDownLatch startAttempted = new CountDownLatch(1);
    private final long idleNanos;
    private final long upstreamTimeoutNanos;
    private volatile RelaySession relay; // volatile: read by the shutdown hook's thread (see stop)

    private volatile long clientActivity = System.nanoTime();
    private volatile long upstreamActivity = System.nanoTime();
    private volatile OutputPump toUpstream;

    // PROGRAM's state; guarded by this. The relay is never called with this lock held.
    private Process early;
    private IOException earlyFailure;
    private boolean connectRequested;
    private Process process;
    private IOException startFailure;
    private boolean closeRequested;
    private boolean abandon;

    /**
     * @param early        PROGRAM when it was started before the session (no greeting delay), else null
     * @param earlyFailure why starting it then failed, else null
     */
    StreamRelayTransport(List<String> command, Map<String, String> env, Process early, IOException earlyFailure,
                         InputStream clientIn, OutputStream clientOut, long idleMillis, long upstreamTimeoutMillis) {
        this.command = command;
        this.env = env;
        this.early = early;
        this.earlyFailure = earlyFailure;
        this.clientIn = clientIn;
        this.toClient = new OutputPump("to-client", clientOut, this);
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.upstreamTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(upstreamTimeoutMillis);
        backPressure.upstreamGate(upstreamGate); // PROGRAM's output is read from the start: its gate is there now
    }

    /** Starts the session: the relay starts (and with it PROGRAM, or the greeting delay), then reading. */
    void start(RelaySession relaySession) {
        this.relay = relaySession;
        toClient.start();
        relay.start();
        daemon("from-client", () -> readLoop(clientIn, true)).start();
        daemon("timeouts", this::watchTimeouts).start();
        sessionEvent();
    }

    // ---------------------------------------------------------------- RelayTransport

    @Override
    public void connectUpstream() {
        synchronized (this) {
            connectRequested = true;
        }
        daemon("from-program", this::upstreamMain).start();
    }

    @Override
    public void toClient(byte[] bytes) {
        toClient.write(bytes);
    }

    @Override
    public void toUpstream(byte[] bytes) {
        OutputPump pump = toUpstream;
        if (pump == null) {
            throw new IllegalStateException("relay wrote to PROGRAM before it was started");
        }
        pump.write(bytes);
    }

    @Override
    public void closeClient() {
        toClient.closeWhenDrained();
    }

    @Override
    public void closeUpstream(boolean abandonIt) {
        Process p;
        boolean ab;
        synchronized (this) {
            closeRequested = true;
            abandon |= abandonIt;
            ab = abandon;
            p = process;
        }
        if (p != null) {
            applyClose(p, ab);
        }
        // else: PROGRAM is not running (yet); the upstream thread applies the request once it is.
    }

    @Override
    public boolean upstreamNotTaking() {
        return backPressure.upstreamBacklogged();
    }

    @Override
    public boolean clientNotTaking() {
        return backPressure.clientBacklogged();
    }

    @Override
    public void pauseClientInput(boolean paused) {
        clientGate.set(ReadGate.RELAY_QUEUE, paused);
    }

    @Override
    public void schedule(long delayMillis, Runnable task) {
        daemon("timer", () -> {
            try {
                if (sessionOver.await(delayMillis, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            task.run();
            sessionEvent();
        }).start();
    }

    // ---------------------------------------------------------------- OutputPump.Listener

    @Override
    public void backlog(OutputPump pump, boolean over) {
        if (pump == toClient) {
            backPressure.clientBacklog(over);
        } else {
            backPressure.upstreamBacklog(over);
        }
    }

    @Override
    public void written(OutputPump pump) {
        if (pump == toClient) {
            clientActivity = System.nanoTime();
        } else {
            upstreamActivity = System.nanoTime();
        }
    }

    @Override
    public void failed(OutputPump pump, IOException e) {
        if (pump == toClient) {
            // The client is gone (EPIPE, reset): the same as its end of input.
            relay.onClientClosed();
            sessionEvent();
        }
        // PROGRAM's input broke: PROGRAM is ending; its reader sees the end of its output and reports it.
    }

    // ---------------------------------------------------------------- the end of the session

    void awaitSessionOver() throws InterruptedException {
        sessionOver.await();
    }

    /** Writes what is left for the client and closes descriptor 1, waiting at most {@code millis}. */
    void finishClient(long millis) throws InterruptedException {
        toClient.closeWhenDrained();
        if (!toClient.awaitFinished(millis)) {
            LOG.info("the client did not read its last replies within {} ms; giving up on them", millis);
        }
    }

    /**
     * Waits for PROGRAM to end (see {@link Program#await}) and returns its status: 0 when it never ran
     * (the client left during the greeting delay), 111 when it could not be started.
     */
    int programStatus(long graceMillis) throws InterruptedException {
        synchronized (this) {
            if (!connectRequested) {
                return 0;
            }
        }
        startAttempted.await();
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null) {
            return Greylite.EXIT_TEMPORARY;
        }
        closeUpstream(false); // a no-op when the relay already asked; never undoes an abandon
        return Program.await(p, graceMillis);
    }

    /**
     * greylite itself is told to stop (SIGTERM: an administrator's kill, or a service manager stopping tcpserver's
     * whole group, which signals every session at once). The client is told {@code 421 4.3.2 HOST service shutting
     * down}, as greylited tells its own: before, the connection was cut without a word, or by chance with the
     * {@code 421 4.3.0} and the log line of a broken upstream once PROGRAM, terminated first, was seen gone. There is
     * no time to let a transaction finish, so a message under way is dropped with PROGRAM, never completed. The
     * reply gets at most {@code flushMillis} to leave; then PROGRAM is terminated if the relay has not done so.
     *
     * <p>The relay is told on a thread of its own: a RCPT's decision holds it while it waits for the greydb, as long as
     * the busy timeout when another process keeps the greydb locked (GREYLITE_BUSY_TIMEOUT, 5 s, or minutes if so
     * set), and greylite stopped only once that was over, its client told nothing meanwhile. When the relay cannot
     * be had within {@code flushMillis}, {@code shuttingDown} (the same 421) is written from here, after the replies
     * already on their way: it answers the RCPT under decision, whose own reply is never written.
     */
    void stop(long flushMillis, byte[] shuttingDown) {
        RelaySession r = relay;
        if (r != null) {
            Thread stopping = daemon("stop-relay", () -> {
                stopRelay();
                sessionEvent();
            });
            stopping.start();
            try {
                stopping.join(flushMillis);
                if (stopping.isAlive()) {
                    LOG.info("told to stop while the relay is busy (a decision waiting for the greydb); closing with 421");
                    toClient.closeWith(shuttingDown);
                }
                toClient.awaitFinished(flushMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        terminateProgram();
    }

    /** On greylite's own termination: PROGRAM must not outlive it unnoticed. */
    void terminateProgram() {
        Process p;
        synchronized (this) {
            p = process != null ? process : early;
        }
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                p.waitFor(Program.TERM_GRACE_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- threads

    /** Starts PROGRAM (unless it was started early), then relays its output until it closes it. */
    private void upstreamMain() {
        Process p;
        try {
            p = obtainProcess();
        } catch (IOException e) {
            synchronized (this) {
                startFailure = e;
            }
            // Said before the count-down: a client already gone lets greylite exit as soon as it is counted down.
            LOG.error("{}", e.getMessage());
            startAttempted.countDown();
            relay.onUpstreamConnectFailed(e);
            sessionEvent();
            return;
        }
        OutputPump pump = new OutputPump("to-program", p.getOutputStream(), this);
        boolean closeNow;
        boolean ab;
        synchronized (this) {
            process = p;
            closeNow = closeRequested;
            ab = abandon;
        }
        toUpstream = pump;
        pump.start();
        startAttempted.countDown();
        upstreamActivity = System.nanoTime();
        if (closeNow) {
            applyClose(p, ab); // the client left while PROGRAM was starting
        } else {
            relay.onUpstreamConnected();
        }
        readLoop(p.getInputStream(), false);
    }

    private Process obtainProcess() throws IOException {
        Process p;
        IOException failure;
        synchronized (this) {
            p = early;
            failure = earlyFailure;
            early = null;
            earlyFailure = null;
        }
        if (p != null) {
            return p;
        }
        if (failure != null) {
            throw failure;
        }
        return Program.startWithPipes(command, env);
    }

    private void applyClose(Process p, boolean abandonIt) {
        OutputPump pump = toUpstream;
        if (abandonIt) {
            // The message in progress must not be completed: PROGRAM dies with it (a killed
            // qmail-smtpd delivers nothing; a killed ucspi2socket drops its connection mid-DATA).
            // The signal goes first, and PROGRAM's input stays open until the signal has ended it: PROGRAM must
            // not read the end of its input before, as a lenient server might take that for the end of the
            // message, and ucspi2socket for its client's end (it exited 0, not by the signal). The signal is sent
            // through the process handle: Process.destroy() closes PROGRAM's input right after it.
            p.toHandle().destroy();
            if (pump != null) {
                pump.abandonUntil(p.onExit(), Program.TERM_GRACE_MS);
            }
        } else if (pump != null) {
            pump.closeWhenDrained(); // PROGRAM reads the end of its input after the last command
        }
    }

    /**
     * Reads one side until its end. Client input is no longer read once the session is over; PROGRAM's
     * output is read (and discarded by the relay) to its end, so that PROGRAM never blocks on a full pipe
     * while it finishes.
     *
     * <p>The end of the client's input is not the end of the client: one that shuts down its sending side after
     * its last command (a script, a pipelining client) still reads the replies, so the relay answers what it sent
     * before it ends the session. Only a read that fails (a reset) means the client is gone.
     */
    private void readLoop(InputStream in, boolean client) {
        ReadGate gate = client ? clientGate : upstreamGate;
        byte[] buffer = new byte[CHUNK];
        boolean broken = false;
        try {
            while (true) {
                gate.awaitOpen();
                if (client && sessionOver.getCount() == 0) {
                    return;
                }
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                if (n == 0) {
                    continue;
                }
                if (client) {
                    clientActivity = System.nanoTime();
                    relay.onClientData(ByteBuffer.wrap(buffer, 0, n));
                } else {
                    upstreamActivity = System.nanoTime();
                    relay.onUpstreamData(ByteBuffer.wrap(buffer, 0, n));
                }
                sessionEvent();
            }
        } catch (IOException e) {
            broken = true; // a reset or a broken pipe: nothing more can be read, nor, from a client, written
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (client && broken) {
            relay.onClientClosed();
        } else if (client) {
            relay.onClientInputEnded();
        } else if (programEndedBySigterm()) {
            LOG.info("PROGRAM was stopped (SIGTERM), as a service stopping signals every process of its group;"
                    + " closing with 421");
            stopRelay();
        } else {
            relay.onUpstreamClosed();
        }
        sessionEvent();
    }

    /**
     * Whether PROGRAM, whose output has just ended, was ended by a SIGTERM greylite did not send. A service manager
     * stopping tcpserver's whole group (systemd's default) signals greylite and PROGRAM together, and PROGRAM, a C
     * program or a shell, ends before the JVM has run its shutdown hook (see {@link #stop}): read as a broken
     * upstream, every session of the stop was told {@code 421 4.3.0} and logged "upstream closed the connection
     * unexpectedly". A PROGRAM that closes its output ends at once; one that does not within a short wait, or ends
     * otherwise, is the upstream failure it seems.
     */
    private boolean programEndedBySigterm() {
        Process p;
        synchronized (this) {
            if (closeRequested) {
                return false; // greylite ended PROGRAM itself
            }
            p = process;
        }
        if (p == null) {
            return false;
        }
        try {
            return p.waitFor(EXIT_STATUS_WAIT_MS, TimeUnit.MILLISECONDS) && p.exitValue() == SIGTERM_STATUS;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Ends the session as greylite's own SIGTERM does: {@code 421 4.3.2}, a message under way dropped. */
    private void stopRelay() {
        relay.stop(false); // nothing under way: closes at once, and says so only at debug level
        relay.stop(true);  // a transaction under way: closes it now all the same
    }

    /** Drops a client that has been silent too long, gives up on an upstream that owes a reply too long. */
    private void watchTimeouts() {
        try {
            while (!sessionOver.await(1, TimeUnit.SECONDS)) {
                long now = System.nanoTime();
                if (now - clientActivity >= idleNanos) {
                    relay.onClientIdle(); // acts only when the relay waits for the client
                }
                if (now - upstreamActivity >= upstreamTimeoutNanos) {
                    relay.onUpstreamIdle(); // acts only when PROGRAM owes a reply
                }
                sessionEvent();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Called after every event given to the relay: notices the end of the session. */
    private void sessionEvent() {
        if (sessionOver.getCount() > 0 && relay.isClosed()) {
            clientGate.release();
            upstreamGate.release();
            sessionOver.countDown();
        }
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
