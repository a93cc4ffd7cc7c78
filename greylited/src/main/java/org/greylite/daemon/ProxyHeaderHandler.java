package org.greylite.daemon;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.service.IoHandler;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.FilterEvent;
import org.greylite.connect.TrustedProxies;
import org.greylite.net.AddressText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands in front of the client handler ({@link RelayHandlers.Client}) when greylited sits behind a load
 * balancer ({@code --accept-proxy-protocol}). A connection from a {@link TrustedProxies trusted} peer must
 * begin with a PROXY protocol header, v1 or v2; until it is read there is no relay, no upstream connection,
 * no greeting. Once it is, the client handler opens the session for the client the header names
 * ({@link ClientEndpoints}) and gets whatever followed the header as the client's first input.
 *
 * <p>A header that is malformed, or not complete within the timeout, closes the connection without a
 * word: the load balancer expects nothing, and an SMTP reply would reach a client that has not been
 * greeted. Connections from any other peer pass straight through, unread: a PROXY line from them is
 * ordinary client input, which the relay refuses like any command a client may not send.
 */
final class ProxyHeaderHandler implements IoHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyHeaderHandler.class);
    private static final AttributeKey AWAITED = new AttributeKey(ProxyHeaderHandler.class, "awaited");

    private final ServerEvents events;

    private final IoHandler next;
    private final TrustedProxies trusted;
    private final Duration timeout;
    private final ScheduledExecutorService timers;

    ProxyHeaderHandler(IoHandler next, TrustedProxies trusted, Duration timeout, ScheduledExecutorService timers,
                       ServerEvents events) {
        this.events = events;
        this.next = next;
        this.trusted = trusted;
        this.timeout = timeout;
        this.timers = timers;
    }

    /**
     * A header still to come on one connection. The timer thread and the connection's I/O thread race to
     * end the wait; whichever comes first wins, the other does nothing.
     */
    private static final class Awaited {
        final ProxyHeaderReader reader = new ProxyHeaderReader();
        final String peer; // for the log, taken while the connection is open
        private ScheduledFuture<?> deadline;
        private boolean over;

        Awaited(String peer) {
            this.peer = peer;
        }

        synchronized void deadline(ScheduledFuture<?> f) {
            deadline = f;
        }

        /** True for the first caller only. */
        synchronized boolean end() {
            if (over) {
                return false;
            }
            over = true;
            if (deadline != null) {
                deadline.cancel(false);
            }
            return true;
        }
    }

    @Override
    public void sessionCreated(IoSession session) throws Exception {
        next.sessionCreated(session);
    }

    @Override
    public void sessionOpened(IoSession session) throws Exception {
        if (!trusted.trusts(peer(session).getAddress())) {
            next.sessionOpened(session);
            return;
        }
        Awaited awaited = new Awaited(AddressText.of(peer(session).getAddress()));
        session.setAttribute(AWAITED, awaited);
        awaited.deadline(timers.schedule(() -> {
            if (awaited.end()) {
                LOG.warn("load balancer {}: no complete PROXY header within {} ms ({} bytes came), connection closed",
                        awaited.peer, timeout.toMillis(), awaited.reader.bytesRead());
                events.proxyHeaderRefused("timeout");
                session.closeNow();
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    @Override
    public void messageReceived(IoSession session, Object message) throws Exception {
        Awaited awaited = (Awaited) session.getAttribute(AWAITED);
        if (awaited == null) {
            next.messageReceived(session, message);
            return;
        }
        ByteBuffer in = ((IoBuffer) message).buf();
        ProxyHeaderReader.Header header;
        try {
            header = awaited.reader.read(in);
        } catch (ProxyHeaderReader.MalformedHeader e) {
            if (awaited.end()) {
                LOG.warn("load balancer {}: bad PROXY header, connection closed: {}", awaited.peer, e.getMessage());
                events.proxyHeaderRefused("malformed");
                session.closeNow();
            }
            return;
        }
        if (header == null || !awaited.end()) {
            return; // more to come; or the deadline passed just now, and the connection is closing
        }
        session.removeAttribute(AWAITED);
        if (header.source() != null) {
            new ClientEndpoints(header.source(), header.destination()).attachTo(session);
        }
        LOG.debug("load balancer {}: {} header, client {}", awaited.peer, header.form(),
                AddressText.of(ClientEndpoints.of(session).client().getAddress()));
        next.sessionOpened(session);
        if (in.hasRemaining() && !session.isClosing()) {
            // The client's first bytes came with the header (possible, though it ought to wait for the greeting).
            next.messageReceived(session, message);
        }
    }

    @Override
    public void sessionClosed(IoSession session) throws Exception {
        Awaited awaited = (Awaited) session.getAttribute(AWAITED);
        if (awaited == null) {
            next.sessionClosed(session);
        } else if (awaited.end()) {
            // A load balancer's TCP health check connects and closes without a byte: not worth a warning.
            int n = awaited.reader.bytesRead();
            if (n == 0) {
                LOG.debug("load balancer {} closed before sending a PROXY header", awaited.peer);
            } else {
                LOG.info("load balancer {} closed in the middle of a PROXY header ({} bytes came)", awaited.peer, n);
                events.proxyHeaderRefused("closed");
            }
        }
    }

    @Override
    public void sessionIdle(IoSession session, IdleStatus status) throws Exception {
        if (session.getAttribute(AWAITED) == null) {
            next.sessionIdle(session, status); // while the header is awaited, its own deadline applies
        }
    }

    @Override
    public void messageSent(IoSession session, Object message) throws Exception {
        next.messageSent(session, message);
    }

    @Override
    public void exceptionCaught(IoSession session, Throwable cause) throws Exception {
        next.exceptionCaught(session, cause);
    }

    @Override
    public void inputClosed(IoSession session) throws Exception {
        next.inputClosed(session);
    }

    @Override
    public void event(IoSession session, FilterEvent event) throws Exception {
        next.event(session, event);
    }

    private static InetSocketAddress peer(IoSession session) {
        return (InetSocketAddress) session.getRemoteAddress();
    }
}
