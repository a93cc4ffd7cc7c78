package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream that answers with {@code 250-} lines and never the last one. Each line was bounded but the reply was
 * not: greylited kept every line, and one such upstream session took the whole heap (OutOfMemoryError on the I/O
 * threads, every session with it) while its client waited without a word. Here 4 MB of lines, then silence.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EndlessUpstreamReplyTest {

    @TempDir
    Path dir;

    @Test
    void aReplyWithoutEndIsAProtocolErrorAndTheClientIsToldAtOnce() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread upstream = new Thread(() -> serve(server), "endless-upstream");
            upstream.setDaemon(true);
            upstream.start();
            InetSocketAddress up = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
            try (ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), up);
                 RawClient c = proxy.client()) {
                c.expect(220);
                c.command("EHLO client.example", 250);
                c.socket().setSoTimeout(10_000);
                String reply = c.command("NOOP", 421);
                assertTrue(reply.startsWith("421 4.3.0"), reply);
                assertTrue(c.closedByServer());
            }
        }
    }

    private static void serve(ServerSocket server) {
        try (Socket s = server.accept();
             BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
             OutputStream out = s.getOutputStream()) {
            out.write("220 endless.test ESMTP\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String line;
            while ((line = in.readLine()) != null) {
                if (line.toUpperCase().startsWith("NOOP")) {
                    byte[] more = ("250-" + "a".repeat(1000) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
                    for (int i = 0; i < 4000; i++) {
                        out.write(more);
                    }
                    out.flush();
                    Thread.sleep(30_000); // and no last line
                    return;
                }
                out.write("250 ok\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (Exception e) {
            // the proxy dropped the connection
        }
    }
}
