package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.filterchain.IoFilterChain;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.apache.mina.filter.FilterEvent;
import org.apache.mina.filter.ssl.SslEvent;
import org.greylite.daemon.tls.TestCertificates;
import org.greylite.daemon.tls.TlsContexts;
import org.greylite.daemon.tls.TlsFilter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leg under TLS is handled by its session's I/O thread alone, whoever writes to it: every record, the
 * handshake's included, is handed on to the socket by that thread (MINA's own pool would run the handshake's
 * tasks and hand their records on from threads of its own), the handshake's end and the decrypted bytes are told
 * on it, and lines written by four other threads at once through a {@link LegWriter} reach a real
 * JDK TLS client whole, each thread's in its order, with no record the client cannot decrypt.
 */
class TlsLegOnItsIoThreadTest {

    private static final AttributeKey WRITER = new AttributeKey(TlsLegOnItsIoThreadTest.class, "writer");
    private static final int WRITERS = 4;
    private static final int LINES = 400;

    @TempDir
    Path dir;

    private LoopbackServers servers;
    private InetSocketAddress server;
    private TestCertificates.Pem pem;
    /** What happened to the session on another thread than its I/O thread, and on which. */
    private final List<String> offThread = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> secured = new CompletableFuture<>();
    private final CompletableFuture<Void> written = new CompletableFuture<>();

    @BeforeEach
    void start() throws Exception {
        pem = TestCertificates.rsa(dir, "greylited");
        javax.net.ssl.SSLContext context = TlsContexts.server(pem.cert(), pem.key()).context();
        servers = new LoopbackServers();
        server = servers.start(new IoHandlerAdapter() {
            @Override
            public void sessionOpened(IoSession session) {
                session.setAttribute(WRITER, new LegWriter(session, true));
                IoFilterChain chain = session.getFilterChain();
                chain.addFirst(TlsFilter.NAME, TlsFilter.towardClient(context));
                // Between the socket and the TLS filter: sees every record the filter hands on, and which thread does.
                chain.addFirst("records", new IoFilterAdapter() {
                    @Override
                    public void filterWrite(NextFilter next, IoSession s, WriteRequest request) throws Exception {
                        note(s, "a record handed on");
                        next.filterWrite(s, request);
                    }
                });
            }

            @Override
            public void event(IoSession session, FilterEvent event) {
                note(session, "event " + event);
                if (event == SslEvent.SECURED) {
                    secured.complete(null);
                }
            }

            @Override
            public void messageReceived(IoSession session, Object message) {
                note(session, "messageReceived");
                IoBuffer in = (IoBuffer) message;
                if (in.remaining() > 0) {
                    writeFromOtherThreads((LegWriter) session.getAttribute(WRITER));
                }
            }

            @Override
            public void messageSent(IoSession session, Object message) {
                note(session, "messageSent");
                ((LegWriter) session.getAttribute(WRITER)).sent();
            }
        });
    }

    @AfterEach
    void stop() {
        servers.close();
    }

    private void note(IoSession session, String what) {
        if (!RelayProcessorPool.processorOf(session).inIoThread()) {
            offThread.add(what + " on " + Thread.currentThread().getName());
        }
    }

    /** As decisions and timers write to a client: from threads of their own, all at once. */
    private void writeFromOtherThreads(LegWriter w) {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < WRITERS; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                for (int i = 0; i < LINES; i++) {
                    w.write(("250-writer " + id + " line " + i + "\r\n").getBytes(StandardCharsets.US_ASCII));
                }
            }, "writer-" + t));
        }
        new Thread(() -> {
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            w.closeOnFlush();
            written.complete(null);
        }).start();
    }

    @Test
    void theHandshakeAndEveryRecordStayOnTheSessionsThread() throws Exception {
        Map<Integer, Integer> next = new HashMap<>();
        int lines = 0;
        try (SSLSocket s = (SSLSocket) pem.trustingContext().getSocketFactory().createSocket()) {
            s.connect(server, 5000);
            s.setSoTimeout(20_000);
            s.startHandshake();
            s.getOutputStream().write("GO\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            for (String line; (line = in.readLine()) != null; ) {
                String[] words = line.split(" ");
                int writer = Integer.parseInt(words[1]);
                int n = Integer.parseInt(words[3]);
                assertEquals(next.getOrDefault(writer, 0), n, "writer " + writer + "'s lines out of order: " + line);
                next.put(writer, n + 1);
                lines++;
            }
        }
        written.get(20, TimeUnit.SECONDS);
        secured.get(5, TimeUnit.SECONDS);
        assertEquals(WRITERS * LINES, lines);
        assertTrue(offThread.isEmpty(), "events off the session's I/O thread: " + offThread);
    }
}
