package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.IoSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The processor that skips the empty read after a short one loses no byte and no end of stream: an echo
 * server on it gives back exactly what a client on a real socket sent, in chunks of every size (short reads,
 * reads that fill the buffer, bytes that arrive while the processor is busy), and sees the client's FIN.
 * A session the server closes gives the client its end of stream at once (not at the processor's next
 * one-second wake-up), and its socket is really closed. Work another thread hands the processor while it
 * sleeps in a select (a new session from the acceptor, a reply written by another thread) wakes it up.
 */
class SyscallSavingNioProcessorTest {

    private LoopbackServers servers;
    private InetSocketAddress echo;
    private final CompletableFuture<Long> inputClosed = new CompletableFuture<>();

    @BeforeEach
    void start() throws IOException {
        servers = new LoopbackServers();
        echo = servers.start(new IoHandlerAdapter() {
            @Override
            public void messageReceived(IoSession session, Object message) {
                IoBuffer in = (IoBuffer) message;
                IoBuffer copy = IoBuffer.allocate(in.remaining());
                copy.put(in).flip();
                session.write(copy);
            }

            @Override
            public void inputClosed(IoSession session) {
                inputClosed.complete(session.getReadBytes());
                session.closeOnFlush();
            }
        });
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    @Test
    void everyByteComesBackInOrderAndTheEndOfStreamIsSeen() throws Exception {
        Random random = new Random(42);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        try (Socket s = new Socket()) {
            s.connect(echo, 5000);
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> readAll(s));
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 400; i++) {
                // Mostly SMTP-sized lines, now and then far more than one read buffer (MINA starts at 2048 bytes).
                int size = i % 40 == 0 ? 20_000 + random.nextInt(100_000) : 1 + random.nextInt(600);
                byte[] chunk = new byte[size];
                random.nextBytes(chunk);
                out.write(chunk);
                out.flush();
                sent.write(chunk);
                if (i % 7 == 0) {
                    Thread.sleep(1); // let the processor catch up, so that its reads come back short
                }
            }
            // The last bytes and the FIN together: the end of the stream follows a short read at once.
            out.write("QUIT\r\n".getBytes());
            sent.write("QUIT\r\n".getBytes());
            s.shutdownOutput();
            assertArrayEquals(sent.toByteArray(), echoed.get(30, TimeUnit.SECONDS));
            assertEquals(sent.size(), inputClosed.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aSessionTheServerClosesEndsAtOnceAndReleasesItsSocket() throws Exception {
        InetSocketAddress closer = servers.start(new IoHandlerAdapter() {
            @Override
            public void messageReceived(IoSession session, Object message) {
                session.write(IoBuffer.wrap("221 bye\r\n".getBytes()));
                session.closeOnFlush();
            }
        });
        talkAndWaitForTheEnd(closer); // the processor's thread and classes are ready
        long filesBefore = openFiles();
        int sessions = 200;
        long start = System.nanoTime();
        for (int i = 0; i < sessions; i++) {
            assertEquals("221 bye\r\n", talkAndWaitForTheEnd(closer));
            // Were the sockets closed only when the processor wakes up by itself (once a second, the
            // processor having nothing else to do), these sessions would take 200 seconds.
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(seconds < 60, "the clients waited for their end of stream: " + i + " sessions in " + seconds + " s");
        }
        long leaked = openFiles() - filesBefore;
        assertTrue(leaked < 10, "sockets left open: " + leaked);
    }

    @Test
    void aReplyWrittenByAnotherThreadWakesTheSleepingProcessor() throws Exception {
        java.util.concurrent.ScheduledExecutorService other = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        InetSocketAddress later = servers.start(new IoHandlerAdapter() {
            @Override
            public void messageReceived(IoSession session, Object message) {
                // As the greydb thread answers a RCPT: a moment later, when the processor is asleep again.
                other.schedule(() -> session.write(IoBuffer.wrap("250 ok\r\n".getBytes())), 5, TimeUnit.MILLISECONDS);
            }
        });
        try (Socket s = new Socket()) {
            s.connect(later, 5000);
            s.setSoTimeout(10_000);
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream()));
            long start = System.nanoTime();
            for (int i = 0; i < 100; i++) {
                s.getOutputStream().write("RCPT TO:<a@example.org>\r\n".getBytes());
                assertEquals("250 ok", in.readLine());
                // A reply that waited for the processor's own wake-up (once a second) would take 100 s in all.
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                assertTrue(seconds < 40, "replies waited for the processor: " + i + " replies in " + seconds + " s");
            }
        } finally {
            other.shutdownNow();
        }
    }

    /** Sends a line and reads what comes back until the end of the stream. */
    private static String talkAndWaitForTheEnd(InetSocketAddress server) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(server, 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("QUIT\r\n".getBytes());
            return new String(readAll(s));
        }
    }

    private static long openFiles() throws IOException {
        try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static byte[] readAll(Socket s) {
        try {
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
            return got.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
