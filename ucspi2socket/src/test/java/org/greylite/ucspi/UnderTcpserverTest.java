package org.greylite.ucspi;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.FreePort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ucspi2socket where it really runs: spawned by Debian's tcpserver, with the client's TCP
 * connection as its descriptors 0 and 1.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UnderTcpserverTest {

    private Process tcpserver;
    private ServerSocket upstream;

    @AfterEach
    void cleanUp() throws Exception {
        if (tcpserver != null) {
            tcpserver.descendants().forEach(ProcessHandle::destroyForcibly);
            tcpserver.destroyForcibly();
            tcpserver.waitFor(5, TimeUnit.SECONDS);
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void bytesReachTheUpstreamAndComeBack() throws Exception {
        Path tcpserverPath = ExternalPrograms.require("tcpserver");
        upstream = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        CompletableFuture<List<String>> upstreamSaw = CompletableFuture.supplyAsync(this::smtpServer);

        // tcpserver needs a fixed port: take a free one and hand it over.
        int port = FreePort.loopback();
        List<String> command = new ArrayList<>(List.of(tcpserverPath.toString(),
                "-v", "-R", "-H", "-l0", "127.0.0.1", Integer.toString(port)));
        command.addAll(Ucspi2SocketTest.javaCommand("127.0.0.1", Integer.toString(upstream.getLocalPort())));
        tcpserver = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        awaitStatusLine(tcpserver.getErrorStream());

        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            client.setSoTimeout(10_000);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            assertEquals("220 upstream ESMTP", Ucspi2SocketTest.readLine(in));
            out.write("EHLO client.example\r\n".getBytes(US_ASCII));
            assertEquals("250 upstream", Ucspi2SocketTest.readLine(in));
            out.write("QUIT\r\n".getBytes(US_ASCII));
            assertEquals("221 bye", Ucspi2SocketTest.readLine(in));
            assertEquals(-1, in.read(), "the client sees the end when the upstream closes");
        }
        assertEquals(List.of("EHLO client.example", "QUIT"), upstreamSaw.get(10, TimeUnit.SECONDS));
    }

    private List<String> smtpServer() {
        try (Socket s = upstream.accept()) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("220 upstream ESMTP\r\n".getBytes(US_ASCII));
            String ehlo = Ucspi2SocketTest.readLine(in);
            out.write("250 upstream\r\n".getBytes(US_ASCII));
            String quit = Ucspi2SocketTest.readLine(in);
            out.write("221 bye\r\n".getBytes(US_ASCII));
            return List.of(ehlo, quit);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** tcpserver -v prints "tcpserver: status: 0/40" once it listens; the rest of stderr is drained. */
    private static void awaitStatusLine(InputStream stderr) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(1);
        Thread drain = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stderr, US_ASCII))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.contains("status:")) {
                        ready.countDown();
                    }
                }
            } catch (IOException ignored) {
                // tcpserver was killed
            }
        }, "tcpserver-stderr");
        drain.setDaemon(true);
        drain.start();
        assertTrue(ready.await(10, TimeUnit.SECONDS), "tcpserver did not start listening");
    }
}
