package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A leg without TLS writes straight to the socket from its own I/O thread, but never past bytes that still
 * wait in MINA's queue: on a real loopback socket, a write made while the socket has room again and MINA's
 * queue is not yet empty arrives after everything written before it.
 */
class LegWriterTest {

    private static final int FIRST = 16 * 1024 * 1024; // more than the kernel's buffers take: the rest is queued
    private static final int READ_BEFORE_SECOND = 256 * 1024;

    private LoopbackServers servers;
    private InetSocketAddress server;
    private final CountDownLatch peerHasRead = new CountDownLatch(1);
    private final CompletableFuture<Void> written = new CompletableFuture<>();

    @BeforeEach
    void start() throws IOException {
        servers = new LoopbackServers();
        server = servers.start(new IoHandlerAdapter() {
            @Override
            public void sessionOpened(IoSession session) {
                // On the session's I/O thread, which MINA's flushing also needs: while this runs, only what the
                // first write put into the socket can reach the peer; the rest waits in MINA's queue.
                try {
                    LegWriter w = new LegWriter(session, false);
                    w.write(filled(FIRST, (byte) 'a'));
                    if (!peerHasRead.await(20, TimeUnit.SECONDS)) {
                        throw new AssertionError("the peer did not read");
                    }
                    Thread.sleep(200); // the kernel moves bytes on: the socket has room again
                    w.write(filled(1000, (byte) 'b'));
                    w.closeOnFlush();
                    written.complete(null);
                } catch (Throwable t) {
                    written.completeExceptionally(t);
                }
            }
        });
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    @Test
    void aWriteWhileMinasQueueHoldsBytesArrivesAfterThem() throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (Socket s = new Socket()) {
            s.connect(server, 5000);
            s.setSoTimeout(20_000);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            while (received.size() < READ_BEFORE_SECOND) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                received.write(buf, 0, n);
            }
            peerHasRead.countDown();
            int n;
            while ((n = in.read(buf)) != -1) {
                received.write(buf, 0, n);
            }
        }
        written.get(20, TimeUnit.SECONDS);
        byte[] all = received.toByteArray();
        assertEquals(FIRST + 1000, all.length);
        byte[] expected = new byte[FIRST + 1000];
        Arrays.fill(expected, 0, FIRST, (byte) 'a');
        Arrays.fill(expected, FIRST, expected.length, (byte) 'b');
        assertArrayEquals(expected, all, "the second write must come after every byte of the first");
    }

    private static byte[] filled(int size, byte b) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, b);
        return bytes;
    }
}
