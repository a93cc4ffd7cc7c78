package org.greylite.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.apache.mina.core.service.IoHandler;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.greylite.connect.AccessPolicy;
import org.greylite.connect.TrustedProxies;
import org.greylite.connect.PtrLookup;
import org.greylite.net.AddressText;
import org.greylite.relay.RcptPolicy;
import org.greylite.relay.RelaySession;
import org.greylite.relay.RelaySettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone reverse proxy: accepts SMTP clients, connects each to the upstream, and runs a
 * {@link RelaySession} between the two. A few I/O threads carry every connection, both legs of a relay on
 * the same one ({@link RelayProcessorPool}); greylisting decisions run on the {@link RcptPolicy}'s own thread.
 *
 * <p>What happens when a client connects (access rules, limits, lookups, the relay) is {@link SessionStarter}'s.
 *
 * <p>Built with {@link #builder()}; {@link #start()} binds, {@link #stop(Duration)} stops accepting and
 * lets sessions in flight finish within a bound.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);

    private final Builder cfg;
    private final IoProcessor<NioSession> processors;
    private final NioSocketAcceptor acceptor;
    private final EagerSocketConnector connector;
    private final ScheduledExecutorService timers;
    private final ConnectionLimits limits;
    private InetSocketAddress bound;

    private ProxyServer(Builder b) {
        this.cfg = b;
        RelayProcessorPool pool = new RelayProcessorPool(b.ioThreads);
        this.processors = pool;
        this.acceptor = new IoThreadAcceptor(pool); // clients accepted on the I/O threads, no hand-off
        this.connector = new EagerSocketConnector(processors);
        this.timers = sessionTimers();
        this.limits = new ConnectionLimits(b.connectionLimit, b.clientConnectionLimit, b.clientIpv6Prefix,
                b.relaySettings.get().replies(), b.events);

        acceptor.setReuseAddress(true);
        // Unbinding on SIGTERM must stop new connections only; sessions in flight get the grace period.
        acceptor.setCloseOnDeactivation(false);
        acceptor.setBacklog(b.backlog);
        acceptor.getSessionConfig().setTcpNoDelay(true);
        // Idle counts from the last byte either way: a client waiting for a slow reply (or for the greeting delay)
        // gets the whole timeout once the reply is written, not what is left of it since it last spoke. It is
        // measured by the I/O threads on the monotonic clock (IdleWatch); MINA's idle time, on the wall clock, stays off.
        IoHandler clients = new RelayHandlers.Client(new SessionStarter(b, limits, connector, timers)::start, b.idleTimeout);
        acceptor.setHandler(b.trustedProxies.isEmpty() ? clients
                : new ProxyHeaderHandler(clients, b.trustedProxies, b.proxyHeaderTimeout, timers, b.events));

        // The connect timeout is the relay's, on the monotonic clock (MinaRelayTransport); MINA's reads the wall clock.
        connector.setConnectTimeoutMillis(0);
        connector.getSessionConfig().setTcpNoDelay(true);
        // Likewise the upstream's timeout runs from the last command (or message byte) it was sent.
        connector.setHandler(new RelayHandlers.Upstream(b.upstreamTimeout));
        // No write timeout of MINA's (60 s by default, on the wall clock): it ended a connection whose peer had not
        // read for a minute as if the peer had closed it, an upstream busy with a message (documented to have
        // --upstream-timeout) and a client not reading its replies (--idle-timeout) alike. Those timeouts decide,
        // and a connection left to flush after its session ended goes at its own (RelayHandlers).
        acceptor.getSessionConfig().setWriteTimeout(0);
        connector.getSessionConfig().setWriteTimeout(0);
        // MINA counts every read and write of every session into its service's statistics, under one lock that
        // both I/O threads take at each event; nothing here reads those statistics (greylited's metrics count
        // their own), so the lock would only pass between the cores. Each session's own counts of bytes, which
        // its idle timeout goes by, are kept as they are.
        acceptor.getStatistics().getConfig().setStatisticsCalcEnabled(false);
        connector.getStatistics().getConfig().setStatisticsCalcEnabled(false);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The timer thread of the sessions' deadlines and delays. A session that ends cancels its timers, and a
     * cancelled timer leaves the queue at once: otherwise each ended session's deadline would stay queued for
     * the deadline's length (at 1,000 sessions a second, 600,000 entries for a 10-minute deadline).
     */
    private static ScheduledExecutorService sessionTimers() {
        java.util.concurrent.ScheduledThreadPoolExecutor t =
                new java.util.concurrent.ScheduledThreadPoolExecutor(1, daemonThreads("greylited-timer"));
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** Binds the listening socket. */
    public ProxyServer start() {
        try {
            acceptor.bind(cfg.listen);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + hostPort(cfg.listen) + ": " + e.getMessage(), e);
        }
        bound = (InetSocketAddress) acceptor.getLocalAddress();
        LOG.info("listening on {}, relaying to {}", hostPort(bound), hostPort(cfg.upstream));
        return this;
    }

    /** The address actually bound (the port is known here when 0 was asked for). */
    public InetSocketAddress localAddress() {
        return bound;
    }

    public int activeSessions() {
        return acceptor.getManagedSessionCount();
    }

    /**
     * Stops accepting; sessions with nothing under way are told {@code 421 4.3.2} at once, the others as soon as
     * their transaction ends; what is still open after {@code grace} is told the same, its upstream connection
     * dropped with any partial message (see {@link StoppingSessions}). Then the threads are released.
     */
    public void stop(Duration grace) {
        acceptor.unbind();
        new StoppingSessions(acceptor).stop(grace);
        acceptor.getManagedSessions().values().forEach(IoSession::closeNow);
        connector.getManagedSessions().values().forEach(IoSession::closeNow);
        acceptor.dispose(true);
        connector.dispose(true);
        processors.dispose();
        timers.shutdownNow();
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }

    static String hostPort(InetSocketAddress a) {
        return AddressText.withPort(a);
    }

    static ThreadFactory daemonThreads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Validating builder: every setting has a sensible default but the upstream and the policy. */
    public static final class Builder {
        // Package-private: SessionStarter reads the settings of a new session from here.
        InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 2525);
        InetSocketAddress upstream;
        RcptPolicy policy;
        AccessPolicy access = AccessPolicy.ALLOW_ALL;
        PtrLookup ptrLookup;
        org.greylite.connect.DnswlLookup dnswl;
        ProxyProtocolHeader.Version upstreamProxyProtocol = ProxyProtocolHeader.Version.OFF;
        boolean upstreamXclient;
        TrustedProxies trustedProxies = TrustedProxies.NONE;
        Duration proxyHeaderTimeout = Duration.ofSeconds(5);
        java.util.function.Supplier<javax.net.ssl.SSLContext> clientTls;
        org.greylite.daemon.tls.TlsContexts.UpstreamTls upstreamTls;
        /** The relay settings each new session takes (a SIGHUP may put new ones in force). */
        java.util.function.Supplier<RelaySettings> relaySettings = fixed(RelaySettings.defaults("localhost"));
        Duration idleTimeout = Duration.ofMinutes(5);
        Duration upstreamTimeout = Duration.ofMinutes(10);
        Duration connectTimeout = Duration.ofSeconds(10);
        int ioThreads = defaultIoThreads();
        int backlog = 1024;
        int connectionLimit;
        int clientConnectionLimit;
        int clientIpv6Prefix = 128;
        ServerEvents events = ServerEvents.NONE;

        private Builder() {
        }

        /** Told of connections, sessions and upstream failures, for metrics (default: no one). */
        public Builder events(ServerEvents e) {
            this.events = Objects.requireNonNull(e);
            return this;
        }

        public Builder listen(InetSocketAddress a) {
            this.listen = Objects.requireNonNull(a);
            return this;
        }

        public Builder upstream(InetSocketAddress a) {
            this.upstream = Objects.requireNonNull(a);
            return this;
        }

        public Builder policy(RcptPolicy p) {
            this.policy = Objects.requireNonNull(p);
            return this;
        }

        /** Who may connect, and the variables of their sessions (default: everyone, no variables). */
        public Builder access(AccessPolicy a) {
            this.access = Objects.requireNonNull(a);
            return this;
        }

        /** Looks up each client's PTR name for {@code r} rules; null (the default) leaves every name empty. */
        public Builder ptrLookup(PtrLookup p) {
            this.ptrLookup = p;
            return this;
        }

        /** Tell the upstream the real client with XCLIENT when it offers it (Postfix); off by default. */
        public Builder upstreamXclient(boolean on) {
            this.upstreamXclient = on;
            return this;
        }

        /** Tell the upstream the real client with a PROXY protocol header (v1 or v2); OFF by default. */
        public Builder upstreamProxyProtocol(ProxyProtocolHeader.Version v) {
            this.upstreamProxyProtocol = Objects.requireNonNull(v);
            return this;
        }

        /**
         * Load balancers in front: a connection from one of them must begin with a PROXY protocol header,
         * and the client it names is the session's client (default: none, every peer is its own client).
         */
        public Builder trustedProxies(TrustedProxies t) {
            this.trustedProxies = Objects.requireNonNull(t);
            return this;
        }

        /** How long a trusted load balancer has to send its whole PROXY header (default 5 s). */
        public Builder proxyHeaderTimeout(Duration d) {
            this.proxyHeaderTimeout = positive(d, "PROXY header timeout");
            return this;
        }

        /** Offer clients STARTTLS with the certificate in {@code context}; null (the default) offers none. */
        public Builder clientTls(javax.net.ssl.SSLContext context) {
            this.clientTls = context == null ? null : () -> context;
            return this;
        }

        /** Offer clients STARTTLS with the certificate {@code certificate} gives when each session starts. */
        public Builder clientTls(java.util.function.Supplier<javax.net.ssl.SSLContext> certificate) {
            this.clientTls = certificate;
            return this;
        }

        /** Put each upstream connection under TLS with STARTTLS before relaying; null (the default) stays in clear. */
        public Builder upstreamTls(org.greylite.daemon.tls.TlsContexts.UpstreamTls tls) {
            this.upstreamTls = tls;
            return this;
        }

        /** DNS whitelists: a listed client skips greylisting; null (the default) checks none. */
        public Builder dnswl(org.greylite.connect.DnswlLookup d) {
            this.dnswl = d;
            return this;
        }

        public Builder relaySettings(RelaySettings s) {
            this.relaySettings = fixed(Objects.requireNonNull(s));
            return this;
        }

        /** The relay settings in force when each session starts: greylited's configuration file read at SIGHUP. */
        public Builder relaySettings(java.util.function.Supplier<RelaySettings> inForce) {
            this.relaySettings = Objects.requireNonNull(inForce);
            return this;
        }

        private static java.util.function.Supplier<RelaySettings> fixed(RelaySettings s) {
            return () -> s;
        }

        /** A client silent this long, while the proxy waits for it, gets 421 and is dropped. */
        public Builder idleTimeout(Duration d) {
            this.idleTimeout = positive(d, "idle timeout");
            return this;
        }

        /** An upstream silent this long, while a reply is owed, is given up: the client gets 421. */
        public Builder upstreamTimeout(Duration d) {
            this.upstreamTimeout = positive(d, "upstream timeout");
            return this;
        }

        /**
         * Sessions open at once in all, and per client address; one more gets {@code 421} before the upstream is
         * connected. 0 is no limit, the default here (greylited's command line sets its own defaults).
         */
        public Builder connectionLimits(int total, int perClient) {
            if (total < 0 || perClient < 0) {
                throw new IllegalArgumentException("connection limits must be 0 (none) or more: " + total + ", " + perClient);
            }
            this.connectionLimit = total;
            this.clientConnectionLimit = perClient;
            return this;
        }

        /**
         * IPv6 clients count toward the per-client limit by their network of this prefix length (1-128); 128, the
         * default here, counts each address apart.
         */
        public Builder clientIpv6Prefix(int bits) {
            if (bits < 1 || bits > 128) {
                throw new IllegalArgumentException("an IPv6 prefix length is 1 to 128, not " + bits);
            }
            this.clientIpv6Prefix = bits;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connect timeout");
            return this;
        }

        /**
         * One per core, as HAProxy's default. With the upstream connected on the I/O thread (same host) or by
         * MINA's connector thread (only while a connection is in progress), the I/O threads do nearly all the
         * work, and a flood of sessions is carried on every core. On a 2-core host, two threads spent about 10%
         * more CPU per message than one, and carried about 10% more messages per second.
         */
        static int defaultIoThreads() {
            return Math.max(1, Runtime.getRuntime().availableProcessors());
        }

        public Builder ioThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("I/O threads must be at least 1: " + n);
            }
            this.ioThreads = n;
            return this;
        }

        public Builder backlog(int n) {
            this.backlog = n;
            return this;
        }

        public ProxyServer build() {
            if (upstream == null) {
                throw new IllegalStateException("no upstream server given");
            }
            if (policy == null) {
                throw new IllegalStateException("no RCPT policy given");
            }
            return new ProxyServer(this);
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }
    }
}
