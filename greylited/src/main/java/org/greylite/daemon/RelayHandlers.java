package org.greylite.daemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.Function;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.FilterEvent;
import org.apache.mina.filter.ssl.SslEvent;
import org.greylite.net.AddressText;
import org.greylite.relay.RelaySession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The MINA event handlers of the two legs; they only translate events for the {@link RelaySession}. */
final class RelayHandlers {

    private static final Logger LOG = LoggerFactory.getLogger(RelayHandlers.class);

    private RelayHandlers() {
    }

    private static RelaySession relay(IoSession s) {
        return (RelaySession) s.getAttribute(MinaRelayTransport.RELAY);
    }

    private static MinaRelayTransport transport(IoSession s) {
        return (MinaRelayTransport) s.getAttribute(MinaRelayTransport.TRANSPORT);
    }

    private static ByteBuffer bytes(Object message) {
        return ((IoBuffer) message).buf();
    }

    /**
     * Runs a relay event on the I/O thread. An Error that MINA's filter chain lets through ends the thread's loop,
     * and every session of the thread would then wait for ever, new clients too; the three a relay may meet (a stack
     * too deep; a class that cannot be loaded because a package upgrade replaced the jars under the running server;
     * a heap run out, the session's own holdings then freed with it) become the failure of this session alone, which
     * MINA hands to {@code exceptionCaught}: logged with its trace, the session closed. (bin/greylited and the systemd
     * unit end the JVM at an OutOfMemoryError, for its supervisor to start again; this holds for a JVM started
     * without that option.)
     */
    private static void onThisSessionOnly(Runnable event) {
        try {
            event.run();
        } catch (StackOverflowError | LinkageError | OutOfMemoryError e) {
            throw new IllegalStateException("relay event failed: " + e, e);
        }
    }

    /**
     * What the two legs do alike: each watches its connection for silence, tells the transport when a write went
     * out (its backlog shrank), and on silence ends a connection whose relay is over, else tells the relay.
     */
    private abstract static class Leg extends IoHandlerAdapter {

        private final Duration idleTimeout;

        Leg(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        /** Tells the relay that this leg's peer has been silent for the whole timeout. */
        abstract void silent(RelaySession relay);

        @Override
        public final void sessionCreated(IoSession session) {
            IdleWatch.watch(session, idleTimeout);
        }

        @Override
        public final void messageSent(IoSession session, Object message) {
            MinaRelayTransport t = transport(session);
            if (t != null) {
                t.written(session);
            }
        }

        @Override
        public final void sessionIdle(IoSession session, IdleStatus status) {
            RelaySession r = relay(session);
            if (r == null || r.isClosed()) {
                endUnflushed(session);
            } else {
                onThisSessionOnly(() -> silent(r));
            }
        }
    }

    /** The client leg: creates the relay when a client connects (none for a client the access rules deny). */
    static final class Client extends Leg {

        private final Function<IoSession, RelaySession> relayFactory;

        /** @param idleTimeout how long a client may be silent ({@code --idle-timeout}) before it is told so */
        Client(Function<IoSession, RelaySession> relayFactory, Duration idleTimeout) {
            super(idleTimeout);
            this.relayFactory = relayFactory;
        }

        @Override
        void silent(RelaySession relay) {
            relay.onClientIdle();
        }

        @Override
        public void sessionOpened(IoSession session) {
            onThisSessionOnly(() -> {
                RelaySession r = relayFactory.apply(session);
                if (r != null) {
                    r.start();
                }
            });
        }

        @Override
        public void messageReceived(IoSession session, Object message) {
            RelaySession r = relay(session);
            if (r != null) {
                onThisSessionOnly(() -> r.onClientData(bytes(message)));
            }
        }

        /**
         * The client shut down its sending side: what it sent is still answered (MINA would close the session at
         * once). Reading stops, or the selector would report the end of input again and again.
         */
        @Override
        public void inputClosed(IoSession session) {
            session.suspendRead();
            RelaySession r = relay(session);
            if (r != null) {
                onThisSessionOnly(r::onClientInputEnded);
            } else {
                session.closeNow();
            }
        }

        @Override
        public void sessionClosed(IoSession session) {
            RelaySession r = relay(session);
            MinaRelayTransport t = transport(session);
            try {
                if (r != null) {
                    onThisSessionOnly(r::onClientClosed);
                }
            } finally {
                if (t != null) {
                    t.cancelTimers();
                }
            }
        }

        @Override
        public void event(IoSession session, FilterEvent event) {
            RelaySession r = relay(session);
            if (r != null && event == SslEvent.SECURED) {
                onThisSessionOnly(r::onClientTlsSecured);
            }
        }

        @Override
        public void exceptionCaught(IoSession session, Throwable cause) {
            if (cause instanceof javax.net.ssl.SSLException) {
                // A client that cannot agree on TLS with us (old protocols, a certificate it refuses) goes.
                LOG.info("client {}: TLS failed, connection closed: {}", address(session), cause.getMessage());
            } else {
                logUnexpected("client", session, cause);
            }
            session.closeNow();
        }
    }

    /** The upstream leg. */
    static final class Upstream extends Leg {

        /** @param timeout how long the upstream may be silent ({@code --upstream-timeout}) before it is told so */
        Upstream(Duration timeout) {
            super(timeout);
        }

        @Override
        void silent(RelaySession relay) {
            relay.onUpstreamIdle();
        }

        @Override
        public void messageReceived(IoSession session, Object message) {
            MinaRelayTransport t = transport(session);
            if (t != null) {
                onThisSessionOnly(() -> t.fromUpstream(bytes(message)));
            }
        }

        @Override
        public void event(IoSession session, FilterEvent event) {
            MinaRelayTransport t = transport(session);
            if (t != null && event == SslEvent.SECURED) {
                onThisSessionOnly(t::upstreamSecured);
            }
        }

        @Override
        public void sessionClosed(IoSession session) {
            RelaySession r = relay(session);
            if (r != null) {
                onThisSessionOnly(r::onUpstreamClosed);
            }
        }

        @Override
        public void exceptionCaught(IoSession session, Throwable cause) {
            MinaRelayTransport t = transport(session);
            if (t == null || !t.upstreamFailed(cause)) {
                logUnexpected("upstream", session, cause);
            }
            session.closeNow();
        }
    }

    /**
     * A connection whose session is over, still open a whole timeout later: it was closed once flushed, and its peer
     * does not read the last bytes. (MINA's write timeout, which ended it before, is off: see ProxyServer.)
     */
    private static void endUnflushed(IoSession session) {
        session.closeNow();
    }

    private static void logUnexpected(String leg, IoSession session, Throwable cause) {
        if (cause instanceof IOException) {
            // Resets and broken pipes are a peer's business; the close event tells the relay.
            LOG.debug("{} connection {}: {}", leg, address(session), cause.toString());
        } else {
            LOG.error("{} connection {}: unexpected failure", leg, address(session), cause);
        }
    }

    private static String address(IoSession s) {
        return s.getRemoteAddress() instanceof InetSocketAddress
                ? AddressText.of(((InetSocketAddress) s.getRemoteAddress()).getAddress()) : String.valueOf(s.getRemoteAddress());
    }
}
