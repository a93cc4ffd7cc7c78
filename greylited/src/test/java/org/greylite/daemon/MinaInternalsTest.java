package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;

import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.transport.socket.nio.NioProcessor;
import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.junit.jupiter.api.Test;

/**
 * What greylited reaches inside Apache MINA by reflection: should an upgrade of MINA rename or remove it,
 * this test fails with the reason instead of greylited failing at its first connection.
 */
class MinaInternalsTest {

    @Test
    void aSessionMadeHereIsATcpSessionOnItsChannel() throws Exception {
        NioSocketConnector service = new NioSocketConnector();
        IoProcessor<NioSession> processor = new NioProcessor(java.util.concurrent.Executors.newSingleThreadExecutor());
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             SocketChannel channel = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                     listener.getLocalPort()));
             Socket accepted = listener.accept()) {
            NioSession session = MinaInternals.newSession(service, processor, channel);
            assertSame(channel, MinaInternals.channel(session), "the session's socket is the channel it was made on");
            assertEquals("nio", session.getTransportMetadata().getProviderName());
            assertEquals(accepted.getLocalPort(), ((InetSocketAddress) session.getRemoteAddress()).getPort());
            assertSame(processor, session.getProcessor());
            assertTrue(session.getService() == service);
        } finally {
            processor.dispose();
            service.dispose();
        }
    }

    @Test
    void startingAProcessorsLoopRunsItOnTheProcessorsExecutor() throws Exception {
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor();
        NioProcessor processor = new NioProcessor(loop -> {
            started.countDown();
            thread.execute(loop);
        });
        try {
            MinaInternals.startLoop(processor);
            assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS), "the loop was not started");
        } finally {
            processor.dispose();
            thread.shutdown();
        }
    }
}
