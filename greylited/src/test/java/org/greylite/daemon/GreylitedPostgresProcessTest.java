package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** greylited as a real process with {@code --db postgresql://...}: how it starts, what survives kill -9. */
@Timeout(120)
class GreylitedPostgresProcessTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

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

    private Process launch(Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Greylited.class.getName(),
                "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + upstream.address().getPort(),
                "--ptr-timeout", "0", "--min-delay", "0", "--busy-timeout", "5s"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("DBFILE");
        pb.environment().remove("PGPASSWORD");
        pb.environment().putAll(env);
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private static BlockingQueue<String> lines(Process p) {
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
        return log;
    }

    /** Starts greylited and waits for its "listening" line; returns its port, and the lines before it in {@code seen}. */
    private int start(List<String> seen, Map<String, String> env, String... args) throws Exception {
        Process p = launch(env, args);
        BlockingQueue<String> log = lines(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String line = log.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                seen.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            if (!p.isAlive() && log.isEmpty()) {
                throw new AssertionError("greylited exited at start: " + seen);
            }
        }
        throw new AssertionError("greylited did not start: " + seen);
    }

    private static String rcptReply(int port) throws IOException {
        try (RawClient c = new RawClient(new InetSocketAddress("127.0.0.1", port)).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.send("RCPT TO:<b@example.com>\r\n");
            String reply = c.reply();
            c.command("QUIT", 221);
            return reply;
        }
    }

    @Test
    void aRefusalRecordedInPostgresqlSurvivesKillMinus9() throws Exception {
        String url = PG.url(PG.createDatabase());
        List<String> log = new ArrayList<>();
        int port = start(log, PG.env(), "--db", url);
        assertTrue(rcptReply(port).startsWith("451"));
        started.get(0).destroyForcibly();
        assertTrue(started.get(0).waitFor(10, TimeUnit.SECONDS));

        // DBFILE works as well as --db; the password comes from PGPASSWORD only
        Map<String, String> env = new java.util.HashMap<>(PG.env());
        env.put("DBFILE", url);
        int again = start(new ArrayList<>(), env);
        assertTrue(rcptReply(again).startsWith("250"), "the refusal counted before the kill still counts");
    }

    @Test
    void withTheServerDownItStartsAnywayAndFailsOpen() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<String> log = new ArrayList<>();
        int proxy = start(log, Map.of(), "--db", "postgresql://mx@127.0.0.1:" + port + "/greylite");
        assertTrue(log.stream().anyMatch(l -> l.contains("postgresql://mx@127.0.0.1:" + port
                + "/greylite: cannot connect: Connection refused")), log.toString());
        assertEquals("250 2.1.5 ok", rcptReply(proxy));
    }

    @Test
    void aPasswordOnTheCommandLineIsRefusedWithoutRepeatingIt() throws Exception {
        Process p = launch(Map.of(), "--db", "postgresql://mx:hunter2@127.0.0.1/greylite");
        BlockingQueue<String> log = lines(p);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        Thread.sleep(100);
        String out = String.join("\n", log);
        assertFalse(p.exitValue() == 0, out);
        assertTrue(out.contains("--db: greydb URL") && out.contains("PGPASSWORD"), out);
        assertFalse(out.contains("hunter2"), out);
    }
}
