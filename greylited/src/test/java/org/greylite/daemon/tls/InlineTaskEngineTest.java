package org.greylite.daemon.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole TLS handshake between two JDK engines, in memory: with {@link InlineTaskEngine} on both sides no call
 * ever asks for a delegated task, the handshake still ends (certificate checked, keys agreed) and application data
 * passes. The plain engines of the control ask for tasks, so the wrapper is what takes them away.
 */
class InlineTaskEngineTest {

    @TempDir
    Path dir;

    /** The bytes on their way to each side (the handshake's last records may still be in them). */
    private final ByteBuffer toServer = ByteBuffer.allocate(64 * 1024);
    private final ByteBuffer toClient = ByteBuffer.allocate(64 * 1024);

    /** What one handshake saw. */
    private static final class Seen {
        int taskRequests;
        boolean finished;
    }

    @Test
    void theHandshakeEndsWithoutAnyTaskHandedOut() throws Exception {
        SSLEngine[] pair = engines();
        SSLEngine client = new InlineTaskEngine(pair[0]);
        SSLEngine server = new InlineTaskEngine(pair[1]);
        Seen seen = handshake(client, server);
        assertEquals(0, seen.taskRequests, "a delegated task was handed out");
        assertTrue(seen.finished);
        assertNull(client.getDelegatedTask());
        assertEquals("TLSv1.3", client.getSession().getProtocol());
        assertEquals("EHLO proxy.test\r\n", send(client, server, toServer, "EHLO proxy.test\r\n"));
        assertEquals("250 upstream.test\r\n", send(server, client, toClient, "250 upstream.test\r\n"));
    }

    @Test
    void plainEnginesHandTasksOut() throws Exception {
        SSLEngine[] pair = engines();
        Seen seen = handshake(pair[0], pair[1]);
        assertNotEquals(0, seen.taskRequests, "the control: the JDK's engines ask for tasks");
    }

    /** A client engine that checks the server's certificate against it, and the server's. */
    private SSLEngine[] engines() throws Exception {
        TestCertificates.Pem pem = TestCertificates.rsa(dir, "upstream");
        SSLEngine client = TlsContexts.upstream(pem.cert()).context().createSSLEngine("127.0.0.1", 25);
        client.setUseClientMode(true);
        SSLEngine server = TlsContexts.server(pem.cert(), pem.key()).context().createSSLEngine();
        server.setUseClientMode(false);
        return new SSLEngine[] {client, server};
    }

    /** Drives the handshake as MINA does (wrap and unwrap as the status says; tasks run when asked for). */
    private Seen handshake(SSLEngine client, SSLEngine server) throws Exception {
        Seen seen = new Seen();
        ByteBuffer app = ByteBuffer.allocate(64 * 1024);
        client.beginHandshake();
        server.beginHandshake();
        for (int turn = 0; turn < 100; turn++) {
            boolean clientDone = step(client, toClient, toServer, app, seen);
            boolean serverDone = step(server, toServer, toClient, app, seen);
            if (clientDone && serverDone) {
                seen.finished = true;
                return seen;
            }
        }
        throw new AssertionError("the handshake did not end");
    }

    /** One move of {@code engine}: reads what came in, writes what it must; true once it is not handshaking. */
    private static boolean step(SSLEngine engine, ByteBuffer in, ByteBuffer out, ByteBuffer app, Seen seen)
            throws Exception {
        HandshakeStatus status = engine.getHandshakeStatus();
        for (int i = 0; i < 20; i++) {
            SSLEngineResult r;
            switch (status) {
                case NEED_WRAP:
                    r = engine.wrap(ByteBuffer.allocate(0), out);
                    break;
                case NEED_UNWRAP:
                    in.flip();
                    r = engine.unwrap(in, app);
                    in.compact();
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                        return false;
                    }
                    break;
                case NEED_TASK:
                    seen.taskRequests++;
                    for (Runnable t; (t = engine.getDelegatedTask()) != null; ) {
                        t.run();
                    }
                    status = engine.getHandshakeStatus();
                    continue;
                default:
                    return true;
            }
            if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                seen.taskRequests++;
            }
            status = r.getHandshakeStatus() == HandshakeStatus.FINISHED ? engine.getHandshakeStatus() : r.getHandshakeStatus();
            if (r.getHandshakeStatus() == HandshakeStatus.FINISHED && status == HandshakeStatus.NOT_HANDSHAKING) {
                return true;
            }
        }
        return status == HandshakeStatus.NOT_HANDSHAKING;
    }

    /** Application data from one engine to the other over {@code wire}; what the other decrypted. */
    private static String send(SSLEngine from, SSLEngine to, ByteBuffer wire, String text) throws Exception {
        from.wrap(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), wire);
        wire.flip();
        ByteBuffer app = ByteBuffer.allocate(64 * 1024);
        while (wire.hasRemaining()) {
            // Records still on their way come first (the server's session ticket) and decrypt to nothing.
            SSLEngineResult r = to.unwrap(wire, app);
            if (r.getStatus() != SSLEngineResult.Status.OK) {
                break;
            }
        }
        wire.compact();
        app.flip();
        return StandardCharsets.US_ASCII.decode(app).toString();
    }
}
