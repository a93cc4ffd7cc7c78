package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** greylited as a real process: what survives kill -9, how SIGTERM ends it, how start-up errors read. */
class GreylitedProcessTest {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    ScriptedUpstream upstream;
    final List<Process> started = new ArrayList<>();

    @BeforeEach
    void upstream() throws IOException {
        upstream = new ScriptedUpstream();
    }

    @AfterEach
    void cleanUp() throws IOException {
        started.forEach(Process::destroyForcibly);
        upstream.close();
    }

    /** A running greylited and the lines it logged so far. */
    private record Daemon(Process process, int port, BlockingQueue<String> log) {
        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", port);
        }
    }

    private Daemon start(String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Greylited.class.getName(),
                "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + upstream.address().getPort(),
                "--db", dir.resolve("greylite.db").toString(),
                "--ptr-timeout", "0")); // no PTR lookups: tests use loopback only, never the system's resolver
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        BlockingQueue<String> log = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.add(line);
                }
            } catch (IOException e) {
                // process gone
            }
        });
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String line = log.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return new Daemon(p, Integer.parseInt(m.group(1)), log);
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("greylited exited at start: " + log);
            }
        }
        throw new AssertionError("greylited did not start: " + log);
    }

    private static String rcptReply(Daemon d) throws IOException {
        try (RawClient c = new RawClient(d.address()).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.send("RCPT TO:<b@example.com>\r\n");
            String reply = c.reply();
            c.command("QUIT", 221);
            return reply;
        }
    }

    @Test
    void anAcknowledgedRefusalSurvivesKillMinus9() throws Exception {
        Daemon first = start("--min-delay", "0");
        assertTrue(rcptReply(first).startsWith("451"));
        first.process().destroyForcibly(); // SIGKILL: no shutdown hook, no clean close of the greydb
        assertTrue(first.process().waitFor(10, TimeUnit.SECONDS));

        Daemon second = start("--min-delay", "0");
        assertTrue(rcptReply(second).startsWith("250"),
                "the refusal counted before the kill must still count: the retry passes");
    }

    @Test
    void sigtermLetsTheSessionInFlightFinishAndRefusesNewConnections() throws Exception {
        Daemon d = start("--stop-grace", "20s");
        try (RawClient c = new RawClient(d.address()).hello()) {
            // SIGTERM through kill(1): Process.destroy() would also close our end of its output pipe.
            new ProcessBuilder("kill", "-TERM", Long.toString(d.process().pid())).start().waitFor();
            ProxyEndToEndTest.waitFor(() -> d.log().stream().anyMatch(l -> l.contains("stopping")), "stop begins");
            Thread.sleep(200);
            assertThrows(IOException.class, () -> new RawClient(d.address()).close(), "no new connections once stopping");
            c.command("MAIL FROM:<a@example.org>", 250);
            c.send("RCPT TO:<b@example.com>\r\n");
            assertTrue(c.reply().startsWith("451"), "the open session still works");
            c.command("QUIT", 221);
        }
        assertTrue(d.process().waitFor(10, TimeUnit.SECONDS), "exits once the last session ended");
        // The log is written in batches: what was logged up to the end reaches stderr all the same.
        ProxyEndToEndTest.waitFor(() -> d.log().stream().anyMatch(l -> l.endsWith(" stopped")), "the last line");
        assertTrue(d.log().stream().anyMatch(l -> l.contains("decision verdict=greylist reason=first-attempt")), d.log().toString());
        assertTrue(d.log().stream().anyMatch(l -> l.contains("session end ") && l.contains("rcpt-refused=1")), d.log().toString());
    }

    @Test
    void anUnusableDbFileIsNamedWithTheReason() throws Exception {
        Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
        Path db = notADir.resolve("greylite.db");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Greylited.class.getName(),
                "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + upstream.address().getPort(),
                "--db", db.toString()).redirectErrorStream(true).start();
        started.add(p);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(111, p.exitValue(), out);
        assertTrue(out.contains("greylite.db") && out.contains(notADir.toString()), out);
        assertTrue(out.contains("cannot be created"), out);
    }
}
