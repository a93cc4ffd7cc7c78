package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import java.time.Duration;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/greylite-policy} as a program, started with postgrey's flags: it answers on its unix socket,
 * {@code bin/greylitectl} reads its greydb, and SIGTERM stops it and removes the socket.
 */
@Timeout(180)
class PolicyLauncherTest {

    @TempDir
    Path dir;

    private Process policy;
    private ProgramOutput output;

    @AfterEach
    void stop() throws Exception {
        if (policy != null) {
            policy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void start(Path socket, String... extra) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(Launchers.bin("greylite-policy"),
                "--unix=" + socket, "--delay=300", "--dbdir=/var/lib/postgrey", "--db", dir.resolve("greylite.db").toString()));
        cmd.addAll(java.util.List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("DBFILE");
        policy = pb.start();
        output = new ProgramOutput(policy, "greylite-policy");
        output.await(Pattern.compile("greylite-policy listening on"), Duration.ofSeconds(60));
    }

    private static String ask(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            ByteBuffer in = ByteBuffer.allocate(1024);
            while (true) {
                if (ch.read(in) < 0) {
                    throw new IOException("closed");
                }
                String s = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
                if (s.endsWith("\n\n")) {
                    return s;
                }
            }
        }
    }

    @Test
    void answersOnItsSocketAndGreylitectlReadsItsGreydb() throws Exception {
        Launchers.requireBuilt();
        Path socket = dir.resolve("policy.sock");
        start(socket);
        assertTrue(output.lines().stream().anyMatch(l -> l.contains("postgrey's --dbdir is accepted and ignored")), output.lines().toString());
        String answer = ask(socket, "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.7\n"
                + "client_name=unknown\nhelo_name=mx.example.net\nsender=a@example.net\nrecipient=b@example.org\n"
                + "instance=1.2.3\n\n");
        assertEquals("action=DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds\n\n", answer);

        Launchers.Ended ctl = Launchers.runToEnd(new ProcessBuilder(Launchers.bin("greylitectl"), "db", "list",
                "--pending", "--format", "csv", "--db", dir.resolve("greylite.db").toString()), dir, "greylitectl", 60);
        String out = ctl.out();
        assertEquals(0, ctl.status(), out);
        assertTrue(out.contains("192.0.2.0/24") && out.contains("a@example.net") && out.contains("b@example.org"), out);

        policy.destroy(); // SIGTERM
        assertTrue(policy.waitFor(30, TimeUnit.SECONDS), "greylite-policy did not stop on SIGTERM: " + output.lines());
        assertFalse(Files.exists(socket), "the unix socket is removed at exit");
    }

    private static String rcpt(String client, String recipient) {
        return "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=" + client + "\nclient_name=unknown\n"
                + "helo_name=mx.example.net\nsender=a@example.net\nrecipient=" + recipient + "\ninstance=" + client
                + recipient + "\n\n";
    }

    private void hangup() throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(policy.pid())).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue());
    }

    /** The log lines from {@code from} on that contain {@code text}, waited for. */
    private void awaitLine(int from, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            java.util.List<String> lines = output.lines();
            for (int i = from; i < lines.size(); i++) {
                if (lines.get(i).contains(text)) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line with '" + text + "' after line " + from + ":\n" + String.join("\n", output.lines()));
    }

    @Test
    void sighupReloadsTheWhitelistFilesAndKeepsTheOldOnesWhenTheNewHaveErrors() throws Exception {
        Launchers.requireBuilt();
        Path socket = dir.resolve("policy.sock");
        Path clients = dir.resolve("whitelist_clients");
        Path recipients = dir.resolve("whitelist_recipients");
        Files.writeString(clients, "198.51.100.0/24\n");
        Files.writeString(recipients, "# none\n");
        start(socket, "--whitelist-clients=" + clients, "--whitelist-recipients=" + recipients);
        String greylisted = "action=DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds\n\n";
        assertEquals(greylisted, ask(socket, rcpt("192.0.2.8", "b@example.org")));

        Files.writeString(clients, "198.51.100.0/24\n192.0.2.8\n");
        int before = output.lines().size();
        hangup();
        awaitLine(before, "SIGHUP: postgrey whitelists: 2 line(s)");
        assertTrue(policy.isAlive(), "SIGHUP stopped greylite-policy: " + output.lines());
        assertEquals("action=DUNNO\n\n", ask(socket, rcpt("192.0.2.8", "c@example.org")), "the new line is in force");

        Files.writeString(clients, "/unclosed(group/\n");
        before = output.lines().size();
        hangup();
        awaitLine(before, "stay in force until they are fixed");
        assertTrue(output.lines().stream().anyMatch(l -> l.contains(clients + ":1")), "the bad line is named: " + output.lines());
        assertEquals("action=DUNNO\n\n", ask(socket, rcpt("192.0.2.8", "d@example.org")), "the old lines stay in force");
        assertEquals(greylisted, ask(socket, rcpt("203.0.113.9", "b@example.org")));
        assertTrue(policy.isAlive());
    }
}
