package org.greylite.daemon;

import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoConnector;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.greylite.relay.RelaySession;
import org.greylite.relay.RelayTransport;

/**
 * Ties a client's MINA session to its upstream session for one {@link RelaySession}, with
 * back-pressure both ways: when one leg has more than {@link #HIGH_WATER} bytes queued for writing,
 * reading from the other leg stops until the queue drains below {@link #LOW_WATER}. A slow reader on
 * either side therefore never makes memory grow without bound.
 */
final class MinaRelayTransport implements RelayTransport {

    static final AttributeKey RELAY = new AttributeKey(MinaRelayTransport.class, "relay");
    static final AttributeKey TRANSPORT = new AttributeKey(MinaRelayTransport.class, "transport");

    static final long HIGH_WATER = 256 * 1024;
    static final long LOW_WATER = 64 * 1024;

    private final IoSession client;
    private final ReadGate clientGate;
    private final IoConnector connector;
    private final InetSocketAddress upstreamAddress;
    private final ScheduledExecutorService timers;
    private byte[] preamble; // sent first on the upstream connection (a PROXY protocol header), or null
    private RelaySession relay;
    private volatile IoSession upstream;
    private volatile ReadGate upstreamGate;
    private volatile boolean upstreamCloseRequested;
    private volatile boolean upstreamAbandon;

    MinaRelayTransport(IoSession client, IoConnector connector, InetSocketAddress upstreamAddress,
                       ScheduledExecutorService timers) {
        this.client = client;
        this.clientGate = new ReadGate(client);
        this.connector = connector;
        this.upstreamAddress = upstreamAddress;
        this.timers = timers;
    }

    /** Bytes to send on the upstream connection before anything else (a PROXY protocol header). */
    void sendFirst(byte[] bytes) {
        this.preamble = bytes;
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
        });
        future.addListener(f -> {
            ConnectFuture cf = (ConnectFuture) f;
            if (!cf.isConnected()) {
                Throwable cause = cf.getException();
                relay.onUpstreamConnectFailed(cause != null ? cause : new java.io.IOException("connect failed"));
                return;
            }
            IoSession s = cf.getSession();
            upstreamGate = new ReadGate(s);
            upstream = s;
            if (upstreamCloseRequested) {
                // The client left while we were connecting.
                closeUpstream(upstreamAbandon);
                return;
            }
            if (preamble != null) {
                s.write(IoBuffer.wrap(preamble)); // before the relay can write: the upstream reads it first
            }
            relay.onUpstreamConnected();
        });
    }

    @Override
    public void toClient(byte[] bytes) {
        client.write(IoBuffer.wrap(bytes));
        if (client.getScheduledWriteBytes() > HIGH_WATER) {
            // The client is not reading its replies: stop producing more for it.
            clientGate.set(ReadGate.OWN_BACKLOG, true);
            ReadGate g = upstreamGate;
            if (g != null) {
                g.set(ReadGate.PEER_BACKLOG, true);
            }
        }
    }

    @Override
    public void toUpstream(byte[] bytes) {
        IoSession s = upstream;
        if (s == null) {
            throw new IllegalStateException("relay wrote to the upstream before it was connected");
        }
        s.write(IoBuffer.wrap(bytes));
        if (s.getScheduledWriteBytes() > HIGH_WATER) {
            clientGate.set(ReadGate.PEER_BACKLOG, true);
        }
    }

    /** A write to {@code session} completed: release the other leg once its queue has drained. */
    void written(IoSession session) {
        if (session.getScheduledWriteBytes() >= LOW_WATER) {
            return;
        }
        if (session == client) {
            clientGate.set(ReadGate.OWN_BACKLOG, false);
            ReadGate g = upstreamGate;
            if (g != null) {
                g.set(ReadGate.PEER_BACKLOG, false);
            }
        } else {
            clientGate.set(ReadGate.PEER_BACKLOG, false);
        }
    }

    @Override
    public void closeClient() {
        client.closeOnFlush();
    }

    @Override
    public void closeUpstream(boolean abandon) {
        upstreamAbandon = abandon;
        upstreamCloseRequested = true;
        IoSession s = upstream;
        if (s != null) {
            if (abandon) {
                s.closeNow();
            } else {
                s.closeOnFlush();
            }
        }
    }

    @Override
    public void pauseClientInput(boolean paused) {
        clientGate.set(ReadGate.RELAY_QUEUE, paused);
    }

    @Override
    public void schedule(long delayMillis, Runnable task) {
        timers.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }
}
