package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.server.SMTPServer;

/**
 * Every {@code bin/greylitectl db} command against the greydb of a running {@code bin/greylited} while
 * clients keep it writing: nothing the tool does may fail a decision, and what it changes counts at once.
 */
@Timeout(180)
class GreylitectlBesideGreylitedTest {

    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path dir;

    private ProgramOutput output;
    private Process greylited;
    private SMTPServer upstream;

    @AfterEach
    void stop() throws Exception {
        if (greylited != null) {
            greylited.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    private record Run(int exit, String out) {
    }

    private Run ctl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Launchers.bin("greylitectl")));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--db", dir.resolve("greylite.db").toString()));
        Launchers.Ended ended = Launchers.runToEnd(new ProcessBuilder(cmd), dir, "greylitectl", 60);
        return new Run(ended.status(), ended.out());
    }

    private int startGreylited() throws Exception {
        upstream = SMTPServer.port(0).bindAddress(InetAddress.getLoopbackAddress()).hostName("upstream.example")
                .messageHandler((context, from, to, data) -> { }).build();
        upstream.start();
        ProcessBuilder pb = new ProcessBuilder(Launchers.bin("greylited"), "--listen", "127.0.0.1:0",
                "--upstream", "127.0.0.1:" + upstream.getPortAllocated(), "--db", dir.resolve("greylite.db").toString(),
                "--min-delay", "0", "--ptr-timeout", "0", "--client-key", "ip").redirectErrorStream(true);
        pb.environment().remove("DBFILE");
        greylited = pb.start();
        output = new ProgramOutput(greylited, "greylited");
        return Integer.parseInt(output.await(LISTENING, Duration.ofSeconds(60)).group(1));
    }

    /** One session from {@code from}: MAIL, RCPT; returns the RCPT reply. */
    private static String rcpt(int port, String from, String sender, String recipient) throws IOException {
        try (SmtpClient c = SmtpClient.connect(from, port)) {
            c.reply();
            c.command("EHLO client.example");
            c.command("MAIL FROM:<" + sender + ">");
            String reply = c.command("RCPT TO:<" + recipient + ">");
            c.command("QUIT");
            return reply;
        }
    }

    /**
     * Waits until greylited refuses {@code client} as blacklisted: it re-reads the administrators' lists (both at
     * once) every few seconds, so the wait is up to that, not a fixed sleep of all of it. Each probe names a sender of
     * its own, a first attempt that never passes: no probe makes the client whitelisted meanwhile.
     */
    private static void awaitBlacklisted(int port, String client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int probe = 1; ; probe++) {
            String reply = rcpt(port, client, "probe" + probe + "@example.org", "x@example.com");
            if (reply.startsWith("554 5.7.1")) {
                return;
            }
            SmtpClient.assertGreylisted("x@example.com", reply, "not yet blacklisted: a first attempt");
            assertTrue(System.nanoTime() < deadline, client + " still not blacklisted after 60 s: " + reply);
            Thread.sleep(200);
        }
    }

    @Test
    void everyDbCommandWorksWhileGreylitedIsWriting() throws Exception {
        Launchers.requireBuilt();
        int port = startGreylited();
        SmtpClient.assertGreylisted("stuck@example.com", rcpt(port, "127.0.0.9", "a@example.org", "stuck@example.com"));

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger sessions = new AtomicInteger();
        List<String> oddReplies = new CopyOnWriteArrayList<>();
        Thread traffic = new Thread(() -> {
            int i = 0;
            while (running.get()) {
                i++;
                try {
                    String reply = rcpt(port, "127.0.1." + (i % 200 + 1), "s" + i + "@load.example", "r@example.com");
                    if (!reply.startsWith("451 4.7.1") && !reply.startsWith("250")) {
                        oddReplies.add(reply);
                    }
                    sessions.incrementAndGet();
                } catch (IOException e) {
                    oddReplies.add(e.toString());
                }
            }
        });
        traffic.start();
        try {
            while (sessions.get() < 10) {
                Thread.sleep(20);
            }
            assertEquals(0, ctl("db", "init").exit());
            Run list = ctl("db", "list", "--pending", "--format", "csv");
            assertEquals(0, list.exit(), list.out());
            assertTrue(list.out().contains("127.0.0.9,<a@example.org>,<stuck@example.com>,pending"), list.out());
            Run stats = ctl("db", "stats", "--format", "json");
            assertEquals(0, stats.exit(), stats.out());
            assertTrue(stats.out().contains("\"pending\": "), stats.out());

            assertEquals(0, ctl("db", "blacklist", "add", "127.0.0.66", "--comment", "test").exit());
            assertEquals(0, ctl("db", "whitelist", "add", "127.0.0.77", "--until", "1d").exit());
            Run deleted = ctl("db", "delete", "--client", "127.0.0.9", "--recipient", "^stuck@");
            assertEquals("deleted 1 triplet\n", deleted.out());
            Run purge = ctl("db", "purge");
            assertEquals(0, purge.exit(), purge.out());

            awaitBlacklisted(port, "127.0.0.66");
            assertTrue(rcpt(port, "127.0.0.66", "a@example.org", "x@example.com").startsWith("554 5.7.1"), "blacklisted");
            assertTrue(rcpt(port, "127.0.0.77", "a@example.org", "x@example.com").startsWith("250"), "whitelisted");
            SmtpClient.assertGreylisted("stuck@example.com", rcpt(port, "127.0.0.9", "a@example.org", "stuck@example.com"),
                    "deleted: a first attempt again");
            assertTrue(ctl("db", "blacklist", "remove", "127.0.0.66").out().startsWith("removed 127.0.0.66"));
        } finally {
            running.set(false);
            traffic.join();
        }
        assertTrue(sessions.get() > 20, "traffic ran: " + sessions.get());
        assertEquals(List.of(), oddReplies, "no client saw anything but a greylisting or an acceptance");
        assertFalse(output.lines().stream().anyMatch(l -> l.contains("store-error") || l.contains("greydb failure")),
                "no decision failed while greylitectl worked: " + output.lines().stream().filter(l -> l.contains("ERROR")).toList());
    }
}
