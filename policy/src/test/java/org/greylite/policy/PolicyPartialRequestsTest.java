package org.greylite.policy;

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
 * stays up and answers nobody, and Postfix defers every RCPT with its policy service default action. The README
 * says such a failure ends the program with status 111 so that its supervisor starts it again.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PolicyPartialRequestsTest {

    @TempDir
    Path dir;

    @Test
    void unfinishedRequestsOnManyConnectionsLeaveAServiceThatAnswersOrOneThatEnds() throws Exception {
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
            try {
                for (int i = 0; i < 4000 && p.alive(); i++) {
                    Socket s = new Socket();
                    try {
                        s.connect(address, 2000);
                        s.setSoTimeout(2000);
                        s.getOutputStream().write(partial);
                    } catch (IOException e) {
                        s.close();
                        break; // the service takes no more
                    }
                    held.add(s);
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String answer = null;
            while (answer == null && p.alive() && System.nanoTime() < deadline) {
                answer = ask(address);
            }
            if (!p.alive()) {
                int status = p.awaitExit(Duration.ofSeconds(5));
                assertTrue(status == 111, "ended with " + status + ": " + p.output());
            } else {
                assertTrue(answer != null && answer.startsWith("action="),
                        "still running, yet no answer within 30 s of the clients' leaving: " + tail(p.output()));
            }
        }
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
