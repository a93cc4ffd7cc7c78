package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A small proxy on the pool, as greylited uses it: each accepted client gets an upstream connection from a
 * connector that shares the pool. Through real sockets: both legs of every pair run on one thread, clients
 * are spread over the threads, bytes go through both ways, and the pool carries new sessions again after
 * every session has ended (MINA restarts a processor's loop then, here on the same thread).
 */
class RelayProcessorPoolTest {

    private static final AttributeKey PEER = new AttributeKey(RelayProcessorPoolTest.class, "peer");

    private RelayProcessorPool pool;
    private NioSocketAcceptor upstream;   // an echo server, on MINA's own pool
    private NioSocketAcceptor acceptor;   // the proxy's two sides, on the pool under test
    private NioSocketConnector connector;
    /** Per client-side session id: the threads its events ran on, client leg and upstream leg. */
    private final ConcurrentHashMap<Long, Set<String>> clientThreads = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Set<String>> upstreamThreads = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        upstream = new NioSocketAcceptor(1);
        upstream.setHandler(new IoHandlerAdapter() {
            @Override
            public void messageReceived(IoSession session, Object message) {
                session.write(copy((IoBuffer) message));
            }
        });
        upstream.bind(new InetSocketAddress("127.0.0.1", 0));

        pool = new RelayProcessorPool(2);
        acceptor = new NioSocketAcceptor(pool);
        connector = new NioSocketConnector(pool);
        connector.setHandler(new IoHandlerAdapter() {
            @Override
            public void messageReceived(IoSession session, Object message) {
                IoSession client = (IoSession) session.getAttribute(PEER);
                upstreamThreads.computeIfAbsent(client.getId(), k -> ConcurrentHashMap.newKeySet())
                        .add(Thread.currentThread().getName());
                client.write(copy((IoBuffer) message));
            }

            @Override
            public void sessionClosed(IoSession session) {
                ((IoSession) session.getAttribute(PEER)).closeOnFlush();
            }
        });
        acceptor.setHandler(new IoHandlerAdapter() {
            @Override
            public void sessionOpened(IoSession client) {
                client.suspendRead(); // until the upstream leg is there
                ConnectFuture f = connector.connect(upstream.getLocalAddress(), (session, future) -> {
                    RelayProcessorPool.placeWith(session, client);
                    session.setAttribute(PEER, client);
                });
                f.addListener(done -> {
                    client.setAttribute(PEER, ((ConnectFuture) done).getSession());
                    client.resumeRead();
                });
            }

            @Override
            public void messageReceived(IoSession client, Object message) {
                clientThreads.computeIfAbsent(client.getId(), k -> ConcurrentHashMap.newKeySet())
                        .add(Thread.currentThread().getName());
                ((IoSession) client.getAttribute(PEER)).write(copy((IoBuffer) message));
            }

            @Override
            public void sessionClosed(IoSession client) {
                IoSession peer = (IoSession) client.getAttribute(PEER);
                if (peer != null) {
                    peer.closeOnFlush();
                }
            }
        });
        acceptor.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        acceptor.dispose(true);
        connector.dispose(true);
        pool.dispose();
        upstream.dispose(true);
    }

    @Test
    void bothLegsOfEachPairRunOnOneThreadAndPairsAreSpreadOverTheThreads() throws Exception {
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                clients.add(connect());
            }
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < clients.size(); i++) {
                    assertEquals("line " + round + " of client " + i, echo(clients.get(i), "line " + round + " of client " + i));
                }
            }
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
        assertEquals(6, clientThreads.size());
        Set<String> used = new HashSet<>();
        for (Long id : clientThreads.keySet()) {
            Set<String> client = clientThreads.get(id);
            assertEquals(1, client.size(), "client leg " + id + " ran on " + client);
            assertEquals(client, upstreamThreads.get(id), "the upstream leg of client " + id + " ran elsewhere");
            used.addAll(client);
        }
        assertEquals(2, used.size(), "threads used: " + used);
    }

    @Test
    void thePoolCarriesNewSessionsAfterEverySessionHasEnded() throws Exception {
        for (int wave = 0; wave < 3; wave++) {
            try (Socket s = connect()) {
                assertEquals("wave " + wave, echo(s, "wave " + wave));
            }
            while (acceptor.getManagedSessionCount() > 0 || connector.getManagedSessionCount() > 0) {
                Thread.sleep(10); // every session gone: the processors' loops end, to start again for the next wave
            }
        }
        assertEquals(3, clientThreads.size());
    }

    private Socket connect() throws IOException {
        return LineEcho.connect((InetSocketAddress) acceptor.getLocalAddress());
    }

    /** Sends one line and reads it back through the proxy and the echo server. */
    private static String echo(Socket s, String line) throws IOException {
        return LineEcho.echo(s, line);
    }

    private static IoBuffer copy(IoBuffer in) {
        IoBuffer out = IoBuffer.allocate(in.remaining());
        out.put(in).flip();
        return out;
    }
}
