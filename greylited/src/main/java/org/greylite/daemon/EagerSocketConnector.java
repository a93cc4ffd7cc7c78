package org.greylite.daemon;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.file.FileRegion;
import org.apache.mina.core.polling.AbstractPollingIoConnector;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.service.DefaultTransportMetadata;
import org.apache.mina.core.service.TransportMetadata;
import org.apache.mina.transport.socket.DefaultSocketSessionConfig;
import org.apache.mina.transport.socket.SocketSessionConfig;
import org.apache.mina.transport.socket.nio.NioSession;

/**
 * MINA's TCP connector, except that a connection the kernel has already established when {@code connect}
 * returns becomes a session at once, on the calling thread.
 *
 * <p>The upstream of a greylisting proxy is most often on the same host (Postfix, qmail, Exim behind it on
 * loopback). There a non-blocking {@code connect} reports "in progress", yet the handshake has been done by the
 * time the call returns. MINA's own connector hands every such connection to its connector thread: a wake-up
 * call to that thread, a select there, and a second hand-over to the I/O thread, for each client. Asking the
 * socket at once ({@code finishConnect}, one cheap call) saves all of it. A connection still in progress (an
 * upstream across a network) takes MINA's usual path; one refused at once fails the connect future at once, as any
 * other failure to connect does.
 *
 * <p>MINA's connect timeout, measured on the wall clock, is left off here (0): whoever connects cancels a connect
 * that takes too long (greylited: {@link MinaRelayTransport}, on the monotonic clock).
 */
final class EagerSocketConnector extends AbstractPollingIoConnector<NioSession, SocketChannel> {

    /** What MINA's own socket connector reports (asked for by MINA's constructor: a constant). */
    private static final TransportMetadata METADATA = new DefaultTransportMetadata("nio", "socket", false, true,
            InetSocketAddress.class, SocketSessionConfig.class, IoBuffer.class, FileRegion.class);

    private volatile Selector selector;

    EagerSocketConnector(IoProcessor<NioSession> processor) {
        super(new DefaultSocketSessionConfig(), processor);
        ((DefaultSocketSessionConfig) getSessionConfig()).init(this);
    }

    @Override
    protected boolean connect(SocketChannel handle, SocketAddress remoteAddress) throws Exception {
        // An exception here (a refused loopback connection) fails the connect future, and MINA closes the handle.
        return handle.connect(remoteAddress) || handle.finishConnect();
    }

    @Override
    protected void init() throws Exception {
        selector = Selector.open();
    }

    @Override
    protected void destroy() throws Exception {
        if (selector != null) {
            selector.close();
        }
    }

    @Override
    public TransportMetadata getTransportMetadata() {
        return METADATA;
    }

    @Override
    public SocketSessionConfig getSessionConfig() {
        return (SocketSessionConfig) sessionConfig;
    }

    @Override
    public InetSocketAddress getDefaultRemoteAddress() {
        return (InetSocketAddress) super.getDefaultRemoteAddress();
    }

    @Override
    protected SocketChannel newHandle(SocketAddress localAddress) throws Exception {
        SocketChannel channel = SocketChannel.open();
        try {
            int receiveBuffer = getSessionConfig().getReceiveBufferSize();
            if (receiveBuffer > 0) {
                channel.socket().setReceiveBufferSize(receiveBuffer);
            }
            if (localAddress != null) {
                channel.socket().bind(localAddress);
            }
            channel.configureBlocking(false);
            return channel;
        } catch (Exception e) {
            channel.close();
            throw e;
        }
    }

    @Override
    protected boolean finishConnect(SocketChannel handle) throws Exception {
        if (!handle.finishConnect()) {
            return false;
        }
        SelectionKey key = handle.keyFor(selector);
        if (key != null) {
            key.cancel();
        }
        return true;
    }

    @Override
    protected NioSession newSession(IoProcessor<NioSession> processor, SocketChannel handle) {
        return MinaInternals.newSession(this, processor, handle);
    }

    @Override
    protected void close(SocketChannel handle) throws Exception {
        SelectionKey key = handle.keyFor(selector);
        if (key != null) {
            key.cancel();
        }
        handle.close();
    }

    @Override
    protected void wakeup() {
        selector.wakeup();
    }

    @Override
    protected int select(int timeout) throws Exception {
        // MINA asks for the connect timeout or a second, whichever is shorter; with no connect timeout (0) that
        // would be a select that waits until woken. A second keeps MINA's loop turning as it always has.
        return selector.select(timeout > 0 ? timeout : 1000);
    }

    @Override
    protected Iterator<SocketChannel> selectedHandles() {
        return channels(selector.selectedKeys().iterator());
    }

    @Override
    protected Iterator<SocketChannel> allHandles() {
        return channels(selector.keys().iterator());
    }

    @Override
    protected void register(SocketChannel handle, ConnectionRequest request) throws Exception {
        handle.register(selector, SelectionKey.OP_CONNECT, request);
    }

    @Override
    protected ConnectionRequest getConnectionRequest(SocketChannel handle) {
        SelectionKey key = handle.keyFor(selector);
        return key == null || !key.isValid() ? null : (ConnectionRequest) key.attachment();
    }

    /** The channels of selection keys; removing one removes its key (MINA clears the selected set so). */
    private static Iterator<SocketChannel> channels(Iterator<SelectionKey> keys) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return keys.hasNext();
            }

            @Override
            public SocketChannel next() {
                return (SocketChannel) keys.next().channel();
            }

            @Override
            public void remove() {
                keys.remove();
            }
        };
    }
}
