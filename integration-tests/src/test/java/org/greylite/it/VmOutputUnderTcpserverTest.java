package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.server.SMTPServer;

/**
 * The UCSPI programs' descriptor 1 is the connection (the client's socket, or the pipe the wrapper reads as the
 * upstream's replies): what the JVM prints of its own must go to stderr, the log. A thread dump, which an
 * administrator asks of a stuck session with {@code kill -QUIT} as of any Java program, went to descriptor 1: twelve
 * kilobytes of thread names and addresses sent to the SMTP client in the middle of its session.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class VmOutputUnderTcpserverTest {

    private static final Pattern PID = Pattern.compile("tcpserver: pid (\\d+) from");

    @TempDir
    Path dir;

    private SMTPServer upstream;

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;

    @BeforeEach
    void startUpstream() {
        upstream = SMTPServer.port(0).bindAddress(InetAddress.getLoopbackAddress()).hostName("upstream.example")
                .messageHandler((context, from, to, data) -> { }).build();
        upstream.start();
    }

    @AfterEach
    void stop() {
        upstream.stop();
    }

    @Test
    void aThreadDumpOfTheWrapperGoesToTheLogNotToTheClient() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("GREYLIST", "", "DBFILE", dir.resolve("greylite.db").toString()));
        tcpserver = tcpservers.start(List.of(Launchers.bin("greylite"), Launchers.bin("ucspi2socket"), "127.0.0.1",
                Integer.toString(upstream.getPortAllocated())), env);
        assertDumpGoesToTheLog();
    }

    @Test
    void aThreadDumpOfTheWrapperHandingTheConnectionOverGoesToTheLog() throws Exception {
        // GREYLIST unset: the wrapper's JVM waits for PROGRAM with the client's socket on its own descriptor 1.
        tcpserver = tcpservers.start(List.of(Launchers.bin("greylite"), Launchers.bin("ucspi2socket"), "127.0.0.1",
                Integer.toString(upstream.getPortAllocated())), Map.of());
        assertDumpGoesToTheLog();
    }

    @Test
    void aThreadDumpOfUcspi2socketGoesToTheLogNotToTheClient() throws Exception {
        tcpserver = tcpservers.start(List.of(Launchers.bin("ucspi2socket"), "127.0.0.1",
                Integer.toString(upstream.getPortAllocated())), Map.of());
        assertDumpGoesToTheLog();
    }

    /** The session's first program (tcpserver's child, exec'd into the JVM) is asked for a thread dump mid-session. */
    private void assertDumpGoesToTheLog() throws Exception {
        try (SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            assertTrue(c.reply().startsWith("220 upstream.example"));
            assertTrue(c.command("EHLO client.example").startsWith("250 "));
            String started = tcpserver.awaitLine(l -> PID.matcher(l).find(), Duration.ofSeconds(10));
            assertNotNull(started, "tcpserver names the session's process");
            Matcher m = PID.matcher(started);
            assertTrue(m.find());
            Process kill = new ProcessBuilder("kill", "-QUIT", m.group(1)).inheritIO().start();
            assertEquals(0, kill.waitFor());

            String dumped = tcpserver.awaitLine(l -> l.startsWith("Full thread dump"), Duration.ofSeconds(10));
            assertTrue(c.command("NOOP").startsWith("250 "), "the client hears nothing but SMTP");
            assertNotNull(dumped, "the thread dump is in the log; tcpserver said:\n" + String.join("\n", tcpserver.log()));
            assertTrue(c.command("QUIT").startsWith("221 "));
        }
    }
}
