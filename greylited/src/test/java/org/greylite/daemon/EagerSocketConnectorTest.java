package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connector against real loopback listeners: a connection the kernel completes at once becomes a session
 * without MINA's connector thread ever starting; a refused one fails the future before {@code connect} returns;
 * one still in progress (a listener whose accept queue is full drops the SYN until the queue has room) takes
 * MINA's usual path and still becomes a session.
 */
class EagerSocketConnectorTest {

    private RelayProcessorPool pool;
    private EagerSocketConnector connector;

    @BeforeEach
    void start() {
        pool = new RelayProcessorPool(1);
        connector = new EagerSocketConnector(pool);
        connector.setConnectTimeoutMillis(30_000);
        connector.setHandler(new IoHandlerAdapter());
    }

    @AfterEach
    void stop() {
        connector.dispose(true);
        pool.dispose();
    }

    @Test
    void aConnectionTheKernelHasCompletedBecomesASessionWithoutTheConnectorThread() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ConnectFuture f = connector.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
            try (Socket peer = listener.accept()) {
                assertTrue(f.await(30, TimeUnit.SECONDS));
                assertTrue(f.isConnected(), () -> "not connected: " + f.getException());
                IoSession session = f.getSession();
                session.write(IoBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
                assertEquals("hello", readLine(peer));
                session.closeNow().awaitUninterruptibly(30, TimeUnit.SECONDS);
            }
        }
        assertFalse(connectorThreadStarted(), "MINA's connector thread was started for a completed connection");
    }

    @Test
    void aRefusedConnectionFailsTheFutureAtOnce() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there now
        }
        ConnectFuture f = connector.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        assertTrue(f.isDone(), "a refused loopback connection is known when connect returns");
        assertFalse(f.isConnected());
        assertInstanceOf(ConnectException.class, f.getException());
        assertFalse(connectorThreadStarted());
    }

    @Test
    void aConnectionStillInProgressTakesMinasPathAndCompletes() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
            List<Socket> filling = new ArrayList<>();
            try {
                // Fill the accept queue (backlog 1 holds two): the kernel drops the next SYN until it has room.
                for (int i = 0; i < 2; i++) {
                    Socket s = new Socket();
                    s.connect(at, 5000);
                    filling.add(s);
                }
                ConnectFuture f = connector.connect(at);
                assertFalse(f.isDone(), "the connection should still be in progress");
                // MINA names its thread once the thread runs, which may be a moment after connect returns.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!connectorThreadStarted() && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(connectorThreadStarted(), "MINA's connector thread takes a connection in progress");
                // Make room: the retransmitted SYN then gets through and the connector completes the connection.
                List<Socket> accepted = new ArrayList<>();
                listener.setSoTimeout(30_000);
                for (int i = 0; i < 3; i++) { // the two that filled the queue, then the connector's
                    accepted.add(listener.accept());
                }
                assertTrue(f.await(30, TimeUnit.SECONDS));
                assertTrue(f.isConnected(), () -> "not connected: " + f.getException());
                f.getSession().closeNow().awaitUninterruptibly(30, TimeUnit.SECONDS);
                for (Socket s : accepted) {
                    s.close();
                }
            } finally {
                for (Socket s : filling) {
                    s.close();
                }
            }
        }
    }

    private static boolean connectorThreadStarted() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith(EagerSocketConnector.class.getSimpleName()));
    }

    private static String readLine(Socket s) throws Exception {
        s.setSoTimeout(30_000);
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new java.io.EOFException("closed after " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }
}
