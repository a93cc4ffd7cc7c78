package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.FreePort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real HAProxy in front of a real greylited process started with {@code --accept-proxy-protocol}, as
 * {@code examples/haproxy/} sets them up: {@code send-proxy-v2}, and SMTP health checks that open with a
 * v2 LOCAL header ({@code check-send-proxy}).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BehindHaproxyTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private GreylitedProcess greylited;
    private Process haproxy;

    @AfterEach
    void stop() throws Exception {
        if (haproxy != null) {
            new ProcessBuilder("kill", "-TERM", Long.toString(haproxy.pid())).start().waitFor();
            if (!haproxy.waitFor(10, TimeUnit.SECONDS)) {
                haproxy.destroyForcibly();
            }
        }
        if (greylited != null) {
            greylited.close();
        }
    }

    @Test
    void theExampleConfigurationIsValid() throws Exception {
        Path program = ExternalPrograms.require("haproxy");
        Path example = ConfigurationReferenceTest.repositoryRoot().resolve("examples/haproxy/haproxy.cfg");
        Process check = new ProcessBuilder(program.toString(), "-c", "-f", example.toString())
                .redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(check.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, check.exitValue(), out);
        String text = Files.readString(example);
        assertTrue(text.contains("send-proxy-v2") && text.contains("check-send-proxy"), "what this test runs");
    }

    @Test
    void greylitedGreylistsTheClientHaproxyNamesAndAnswersItsHealthChecks() throws Exception {
        Path program = ExternalPrograms.require("haproxy");
        greylited = GreylitedProcess.start(dir, upstream.address(), "--accept-proxy-protocol", "127.0.0.1",
                "--log-threshold", "7");
        int port = FreePort.loopback();
        Path cfg = Files.writeString(dir.resolve("haproxy.cfg"), String.join("\n",
                "defaults",
                "    mode tcp",
                "    timeout connect 5s",
                "    timeout client 1m",
                "    timeout server 1m",
                "frontend smtp",
                "    bind 127.0.0.1:" + port,
                "    default_backend greylited",
                "backend greylited",
                "    option smtpchk EHLO lb.test",
                "    server greylited 127.0.0.1:" + greylited.port + " send-proxy-v2 check check-send-proxy inter 300ms",
                ""));
        haproxy = new ProcessBuilder(program.toString(), "-db", "-f", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();

        // The client connects to HAProxy from 127.0.0.7; HAProxy connects to greylited from 127.0.0.1.
        try (RawClient c = connectWhenListening(new InetSocketAddress("127.0.0.1", port), "127.0.0.7").hello()) {
            assertTrue(c.rcptThenQuit("a@example.org", "b@example.com").startsWith("451"));
        }
        ProxyEndToEndTest.waitFor(() -> greylited.logged("decision verdict=greylist reason=first-attempt client=127.0.0.7 "),
                "the decision for 127.0.0.7 is logged: " + greylited.log);
        assertTrue(greylited.logged("load balancer 127.0.0.1: v2 PROXY TCP4 header, client 127.0.0.7"),
                greylited.log.toString());

        // Health checks: v2 LOCAL, the load balancer is its own client, the dialogue reaches the upstream.
        ProxyEndToEndTest.waitFor(() -> upstream.sawCommandStartingWith("EHLO lb.test"), "a health check gets through");
        // greylited's log reaches stderr in batches, a little after the upstream saw the command.
        ProxyEndToEndTest.waitFor(() -> greylited.logged("load balancer 127.0.0.1: v2 LOCAL header, client 127.0.0.1"),
                "the health check's header is logged: " + greylited.log);
        assertFalse(greylited.logged("bad PROXY header"), greylited.log.toString());
        assertTrue(haproxy.isAlive(), Files.readString(dir.resolve("haproxy.log")));
    }

    /** Connects from {@code from} once HAProxy listens (it has just been started). */
    private RawClient connectWhenListening(InetSocketAddress to, String from) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                return new RawClient(to, InetAddress.getByName(from));
            } catch (ConnectException e) {
                if (System.nanoTime() > deadline || !haproxy.isAlive()) {
                    throw new AssertionError("haproxy does not listen: " + Files.readString(dir.resolve("haproxy.log")), e);
                }
                Thread.sleep(50);
            }
        }
    }
}
