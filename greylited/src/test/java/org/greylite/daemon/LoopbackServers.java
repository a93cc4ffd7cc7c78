package org.greylite.daemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.apache.mina.core.service.IoHandler;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;

/**
 * MINA servers on loopback whose sessions all run on one I/O thread of a {@link RelayProcessorPool}, as
 * greylited's do: for tests of what that thread does. Closing disposes of the servers, then of the thread.
 */
final class LoopbackServers implements AutoCloseable {

    private final RelayProcessorPool processors = new RelayProcessorPool(1);
    private final List<NioSocketAcceptor> acceptors = new ArrayList<>();

    /** A server with {@code handler} on a free loopback port; its address. */
    InetSocketAddress start(IoHandler handler) throws IOException {
        NioSocketAcceptor acceptor = new NioSocketAcceptor(processors);
        acceptors.add(acceptor);
        acceptor.setHandler(handler);
        acceptor.bind(new InetSocketAddress("127.0.0.1", 0));
        return acceptor.getLocalAddress();
    }

    @Override
    public void close() {
        acceptors.forEach(a -> a.dispose(true));
        processors.dispose();
    }
}
