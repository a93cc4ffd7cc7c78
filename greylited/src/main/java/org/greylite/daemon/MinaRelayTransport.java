package org.greylite.daemon;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoConnector;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.ssl.SslFilter;
import org.greylite.daemon.tls.TlsContexts;
import org.greylite.daemon.tls.TlsFilter;
import org.greylite.relay.BackPressure;
import org.greylite.relay.ReadGate;
import org.greylite.relay.RelaySession;
import org.greylite.relay.UpstreamStartTls;
import org.greylite.relay.RelayTransport;

/**
 * Ties a client's MINA session to its upstream session for one {@link RelaySession}, with the relay's
 * {@link BackPressure} both ways: each leg's {@link ReadGate} suspends and resumes reading from its session.
 *
 * <p>With a certificate, it terminates TLS on the client's leg when the relay asks (STARTTLS); with
 * {@code --upstream-tls starttls}, an {@link UpstreamStartTls} puts the upstream's leg under TLS before the
 * relay hears the greeting. Writes go through a {@link LegWriter} on each leg, which MINA's SslFilter needs.
 */
final class MinaRelayTransport implements RelayTransport {

    static final AttributeKey RELAY = new AttributeKey(MinaRelayTransport.class, "relay");
    static final AttributeKey TRANSPORT = new AttributeKey(MinaRelayTransport.class, "transport");

    private final IoSession client;
    private LegWriter clientWriter;
    private final ReadGate clientGate;
    private final BackPressure backPressure;
    private final IoConnector connector;
    private final InetSocketAddress upstreamAddress;
    private final ScheduledExecutorService timerThread;
    private final long connectTimeoutMillis;
    private volatile boolean connectTimedOut;
    private byte[] preamble; // sent first on the upstream connection (a PROXY protocol header), or null
    private javax.net.ssl.SSLContext clientTls; // greylited's certificate, or null: no STARTTLS for clients
    private TlsContexts.UpstreamTls upstreamTls; // --upstream-tls starttls, or null
    private String ehloName;
    private RelaySession relay;
    private volatile UpstreamStartTls upstreamStartTls;
    private volatile LegWriter upstreamWriter;
    private volatile IoSession upstream;
    private volatile boolean upstreamCloseRequested;
    private volatile boolean upstreamAbandon;
    private final java.util.List<java.util.concurrent.Future<?>> timers = new java.util.ArrayList<>(); // guarded by itself

    /** @param connectTimeout how long to try connecting to the upstream ({@code --connect-timeout}) */
    MinaRelayTransport(IoSession client, IoConnector connector, InetSocketAddress upstreamAddress,
                       Duration connectTimeout, ScheduledExecutorService timers) {
        this.client = client;
        this.clientWriter = new LegWriter(client, false);
        this.clientGate = new ReadGate(readSwitch(client));
        this.backPressure = new BackPressure(clientGate);
        this.connector = connector;
        this.upstreamAddress = upstreamAddress;
        this.timerThread = timers;
        this.connectTimeoutMillis = connectTimeout.toMillis();
    }

    /** Bytes to send on the upstream connection before anything else (a PROXY protocol header). */
    void sendFirst(byte[] bytes) {
        this.preamble = bytes;
    }

    /** Offer STARTTLS to the client, with greylited's certificate in {@code context}. */
    void offerTls(javax.net.ssl.SSLContext context) {
        this.clientTls = context;
        this.clientWriter = new LegWriter(client, context != null); // before anything is written to the client
    }

    /** Start TLS on the upstream's connection before the greeting is relayed, saying EHLO as {@code name}. */
    void upstreamStartTls(TlsContexts.UpstreamTls tls, String name) {
        this.upstreamTls = tls;
        this.ehloName = name;
    }

    void bind(RelaySession relaySession) {
        this.relay = relaySession;
        client.setAttribute(RELAY, relaySession);
        client.setAttribute(TRANSPORT, this);
    }

    @Override
    public void connectUpstream() {
        ConnectFuture future = connector.connect(upstreamAddress, (session, f) -> {
            // Runs before any event of the new session: the handler finds the relay already attached.
            RelayProcessorPool.placeWith(session, client); // both legs on one I/O thread
            session.setAttribute(RELAY, relay);
            session.setAttribute(TRANSPORT, this);
            upstreamWriter = new LegWriter(session, upstreamTls != null);
            if (upstreamTls != null) {
                upstreamStartTls = new UpstreamStartTls(relay, new UpstreamLeg(session), ehloName,
                        ProxyServer.hostPort(upstreamAddress));
            }
        });
        giveUpAfterTimeout(future);
        future.addListener(f -> {
            ConnectFuture cf = (ConnectFuture) f;
            if (!cf.isConnected()) {
                Throwable cause = cf.isCanceled() && connectTimedOut
                        ? new java.net.ConnectException("Connection timed out") : cf.getException();
                // The log line names the upstream: "Connection refused" alone does not say which server.
                String why = cause == null || cause.getMessage() == null ? "connect failed" : cause.getMessage();
                java.net.ConnectException named = new java.net.ConnectException(
                        ProxyServer.hostPort(upstreamAddress) + ": " + why);
                named.initCause(cause);
                relay.onUpstreamConnectFailed(named);
                return;
            }
            IoSession s = cf.getSession();
            backPressure.upstreamGate(new ReadGate(readSwitch(s)));
            upstream = s;
            if (upstreamCloseRequested) {
                // The client left while we were connecting.
                closeUpstream(upstreamAbandon);
                return;
            }
            if (preamble != null) {
                upstreamWriter.write(preamble); // before the relay or the STARTTLS step can write: read first
            }
            relay.onUpstreamConnected();
        });
    }

    /**
     * An upstream that does not answer the connection is given up after the connect timeout, on the timer thread's
     * monotonic clock. MINA's own connect timeout (off: see ProxyServer) reads the wall clock: a step of the host's
     * clock back kept the client waiting as long as the kernel went on trying (two minutes), a step forward failed
     * every connection in progress at once. Only a connection still in progress has a timer: one to the same host
     * is made before {@code connect} returns ({@link EagerSocketConnector}).
     */
    private void giveUpAfterTimeout(ConnectFuture future) {
        if (future.isDone()) {
            return;
        }
        ScheduledFuture<?> timer = timerThread.schedule(() -> {
            connectTimedOut = true; // before the cancel, whose listeners run at once
            future.cancel();
        }, connectTimeoutMillis, TimeUnit.MILLISECONDS);
        future.addListener(f -> timer.cancel(false));
    }

    /** Bytes from the upstream: for the STARTTLS step while it runs, then for the relay. */
    void fromUpstream(java.nio.ByteBuffer bytes) {
        UpstreamStartTls step = upstreamStartTls;
        if (step != null && step.active()) {
            step.onData(bytes);
        } else {
            relay.onUpstreamData(bytes);
        }
    }

    /** The upstream's TLS handshake has succeeded. */
    void upstreamSecured() {
        UpstreamStartTls step = upstreamStartTls;
        if (step != null) {
            step.onSecured();
        }
    }

    /** The upstream's session failed; true when the STARTTLS step took it (and told the relay). */
    boolean upstreamFailed(Throwable cause) {
        UpstreamStartTls step = upstreamStartTls;
        if (step != null && step.active()) {
            step.onFailure(cause);
            return true;
        }
        return false;
    }

    @Override
    public boolean clientTlsAvailable() {
        return clientTls != null;
    }

    @Override
    public void startClientTls(byte[] ready) {
        // The 220 must leave in clear: the filter goes in once it has been sent, on the client's I/O thread,
        // before anything more is read from the client (its TLS hello can only follow the 220).
        clientWriter.write(ready, () -> {
            if (!client.isClosing()) {
                client.getFilterChain().addFirst(TlsFilter.NAME, TlsFilter.towardClient(clientTls));
                relay.onClientTlsStarted();
            }
        });
    }

    @Override
    public void toClient(byte[] bytes) {
        clientWriter.write(bytes);
        backPressure.clientQueued(clientWriter.backlog());
    }

    @Override
    public void toUpstream(byte[] bytes) {
        LegWriter w = upstreamWriter;
        if (w == null || upstream == null) {
            throw new IllegalStateException("relay wrote to the upstream before it was connected");
        }
        w.write(bytes);
        backPressure.upstreamQueued(w.backlog());
    }

    /** A write to {@code session} completed: release the other leg once its queue has drained. */
    void written(IoSession session) {
        LegWriter w = session == client ? clientWriter : upstreamWriter;
        if (w == null) {
            return;
        }
        w.sent();
        if (session == client) {
            backPressure.clientQueued(w.backlog());
        } else {
            backPressure.upstreamQueued(w.backlog());
        }
    }

    @Override
    public void closeClient() {
        if (client.getFilterChain().contains(TlsFilter.NAME) && client.getAttribute(SslFilter.SSL_SECURED) == null) {
            // STARTTLS answered and no handshake finished: a reply cannot be encrypted yet, and a write waiting for
            // the handshake would hold the close (and the connection's place) for ever. The connection just ends.
            client.closeNow();
            return;
        }
        if (backPressure.clientBacklogged()) {
            // A client that does not read would never let the replies waiting for it be flushed: its connection
            // would outlive the session, holding a descriptor and those replies, outside every connection limit.
            client.closeNow();
            return;
        }
        clientWriter.closeOnFlush();
    }

    @Override
    public void closeUpstream(boolean abandon) {
        upstreamAbandon = abandon;
        upstreamCloseRequested = true;
        IoSession s = upstream;
        LegWriter w = upstreamWriter;
        if (s != null) {
            if (abandon) {
                s.closeNow();
            } else {
                w.closeOnFlush();
            }
        }
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
        synchronized (timers) {
            timers.add(timerThread.schedule(task, delayMillis, TimeUnit.MILLISECONDS));
        }
    }

    /** The client's connection has closed: the session's timers (its deadline...) will not be wanted. */
    void cancelTimers() {
        synchronized (timers) {
            timers.forEach(t -> t.cancel(false));
            timers.clear();
        }
    }

    /** Reading from {@code session} stops and starts with its gate. */
    private static ReadGate.Switch readSwitch(IoSession session) {
        return new ReadGate.Switch() {
            @Override
            public void suspend() {
                session.suspendRead();
            }

            @Override
            public void resume() {
                session.resumeRead();
            }
        };
    }

    /** The upstream's session as the STARTTLS step sees it. */
    private final class UpstreamLeg implements UpstreamStartTls.Leg {
        private final IoSession session;

        UpstreamLeg(IoSession session) {
            this.session = session;
        }

        @Override
        public void send(byte[] bytes) {
            upstreamWriter.write(bytes);
        }

        @Override
        public void startTls() {
            session.getFilterChain().addFirst(TlsFilter.NAME, TlsFilter.towardUpstream(upstreamTls,
                    upstreamAddress.getHostString()));
        }
    }
}
