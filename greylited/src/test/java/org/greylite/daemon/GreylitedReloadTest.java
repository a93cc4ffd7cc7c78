package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SIGHUP in a real greylited process: the rule files are read again, the process and its sessions go on. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GreylitedReloadTest {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    private ScriptedUpstream upstream;
    private Process process;
    private final List<String> log = new CopyOnWriteArrayList<>();

    @AfterEach
    void cleanUp() throws IOException {
        if (process != null) {
            process.destroyForcibly();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private InetSocketAddress start(Path suspicion, Path access) throws Exception {
        upstream = new ScriptedUpstream();
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Greylited.class.getName(),
                "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + upstream.address().getPort(),
                "--db", dir.resolve("greylite.db").toString(),
                "--suspicion", suspicion.toString(), "--access", access.toString(), "--ptr-timeout", "0")
                .redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
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
        while (System.nanoTime() < deadline && process.isAlive()) {
            for (String line : log) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    return new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("greylited did not start: " + log);
    }

    private static String rcpt(RawClient c) throws IOException {
        c.send("RCPT TO:<b@example.com>\r\n");
        return c.reply();
    }

    private void hangUp() throws Exception {
        // kill(1), not Process.destroy(): that would also close our end of the process's output.
        assertEquals(0, new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor());
    }

    @Test
    void sighupReloadsBothRuleFilesWhileSessionsGoOn() throws Exception {
        Path suspicion = Files.writeString(dir.resolve("suspicion"), "5 e r:^b@\n");
        Path access = Files.writeString(dir.resolve("tcp.smtp"), "# everyone welcome\n");
        InetSocketAddress proxy = start(suspicion, access);

        try (RawClient before = new RawClient(proxy).hello()) {
            before.command("MAIL FROM:<a@example.org>", 250);
            assertTrue(rcpt(before).startsWith("451"), "N = 5 before the reload");

            Files.writeString(suspicion, "0 e r:^b@\n");
            Files.writeString(access, "127.0.0.9:deny\n");
            int logged = log.size();
            hangUp();
            ProxyEndToEndTest.waitFor(() -> log.stream().skip(logged).anyMatch(l -> l.contains(access + ": reloaded, 1 access rules")),
                    "the access file is reloaded");
            List<String> snapshot = List.copyOf(log);
            List<String> after = snapshot.subList(logged, snapshot.size());
            assertTrue(after.stream().anyMatch(l -> l.contains("SIGHUP: reloading the rule files")), after.toString());
            assertTrue(after.stream().anyMatch(l -> l.contains(suspicion + ": reloaded, 1 rules")), after.toString());
            assertTrue(process.isAlive(), "SIGHUP does not stop greylited");

            assertTrue(rcpt(before).startsWith("250"), "the session open during the reload goes on, under the new rules");
            before.command("QUIT", 221);
        }

        try (RawClient next = new RawClient(proxy).hello()) {
            next.command("MAIL FROM:<c@example.org>", 250);
            assertTrue(rcpt(next).startsWith("250"), "N = 0 now");
            next.command("QUIT", 221);
        }
        try (RawClient denied = new RawClient(proxy, InetAddress.getByName("127.0.0.9"))) {
            assertTrue(denied.reply().startsWith("554 5.7.1 "), "the new access rules are in force");
        }
    }
}
