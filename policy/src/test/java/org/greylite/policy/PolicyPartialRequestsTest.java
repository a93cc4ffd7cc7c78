package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.JavaProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests that never end: each connection may hold one request of up to 64 KiB, 200 attributes of 8 KiB lines,
 * while it waits for the empty line, and nothing bounds how many connections do so, nor for how long. Whoever
 * may connect (the unix socket is 0666 by default) can so fill the heap; the I/O loop then meets an
 * OutOfMemoryError, and its handler, which allocates too, meets another: the policy-io thread ends, the process
 * stays up and answers nobody, and Postfix defers every RCPT with its policy service default action. Now the
 * unfinished requests of all connections are bounded together, and a connection past the bound is closed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PolicyPartialRequestsTest {

    @TempDir
    Path dir;

    @Test
    void unfinishedRequestsOnManyConnectionsLeaveAServiceThatAnswers() throws Exception {
        try (JavaProgram p = PolicyProcess.start(dir, Map.of("JAVA_TOOL_OPTIONS", "-Xmx128m"), "--inet=127.0.0.1:0",
                "--ptr-timeout=0")) {
            String line = p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)));

            StringBuilder unfinished = new StringBuilder("request=smtpd_access_policy\n");
            for (int i = 0; i < 7; i++) {
                unfinished.append("attribute").append(i).append('=').append("v".repeat(8000)).append('\n');
            }
            byte[] partial = unfinished.toString().getBytes(StandardCharsets.US_ASCII); // 56 KB, no empty line
            List<Socket> held = new ArrayList<>();
            String answer = null;
            try {
                int failedInARow = 0;
                for (int i = 0; i < 4000 && p.alive() && failedInARow < 20; i++) {
                    Socket s = new Socket();
                    try {
                        s.connect(address, 2000);
                        s.setSoTimeout(2000);
                        s.getOutputStream().write(partial);
                        failedInARow = 0;
                    } catch (IOException e) {
                        s.close();
                        failedInARow++; // closed past the bound, or a service that takes no more
                        continue;
                    }
                    held.add(s);
                }
                // Asked while the connections that got in still hold their unfinished requests.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (answer == null && p.alive() && System.nanoTime() < deadline) {
                    answer = ask(address);
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            // The unfinished requests are bounded together: the service is up, and answers.
            assertTrue(p.alive(), "ended: " + tail(p.output()));
            assertTrue(answer != null && answer.startsWith("action="),
                    "still running, yet no answer within 30 s: " + tail(p.output()));
            p.awaitLine("unfinished requests hold", Duration.ofSeconds(10));
        }
    }

    /**
     * A request begun in bytes held back (a client that pipelined past the queue) and ended by a later read: the sum of
     * unfinished requests must come back to nothing once the connection is gone. It went below nothing by the begun
     * request's size each time, and a client could so lift the bound as far as it liked.
     */
    @Test
    void aRequestBegunInHeldBytesIsCountedOnceAndLeavesNothingCounted() throws Exception {
        try (RunningPolicy policy = TestPolicy.start(dir, "--ptr-timeout=0")) {
            String one = PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
            String begun = "request=smtpd_access_policy\nx=" + "v".repeat(8000) + "\n";
            int queued = PolicyConnection.MAX_QUEUED + 8;
            for (int round = 0; round < 3; round++) {
                try (Socket s = new Socket(policy.tcpAddress().getAddress(), policy.tcpAddress().getPort())) {
                    s.setSoTimeout(20_000);
                    s.getOutputStream().write((one.repeat(queued) + begun).getBytes(StandardCharsets.US_ASCII));
                    InputStream in = s.getInputStream();
                    for (int i = 0; i < queued; i++) {
                        assertTrue(answer(in).startsWith("action="), "answer " + i);
                    }
                    s.getOutputStream().write("client_address=192.0.2.7\n\n".getBytes(StandardCharsets.US_ASCII));
                    assertTrue(answer(in).startsWith("action="), "the begun request's answer");
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (policy.unfinishedBytes() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(0, policy.unfinishedBytes(), "unfinished bytes counted with every connection gone");
        }
    }

    private static String answer(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\n\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed after \"" + b + "\"");
            }
            b.append((char) c);
        }
        return b.toString();
    }

    /** One request on a new connection; null if there is no answer within 3 s. */
    private static String ask(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 3000);
            s.setSoTimeout(3000);
            s.getOutputStream().write(PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net",
                    "b@example.org")).getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder b = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                b.append((char) c);
                if (b.toString().endsWith("\n\n")) {
                    return b.toString();
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String tail(String output) {
        return output.length() > 2000 ? output.substring(output.length() - 2000) : output;
    }
}
