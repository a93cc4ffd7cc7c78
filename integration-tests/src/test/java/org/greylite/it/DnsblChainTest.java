package org.greylite.it;

import static org.greylite.it.SmtpClient.assertGreylisted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.FreePort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DNSBL chain of a qmail run script, {@code tcpserver -> dnsblenv -> greylite -> PROGRAM}: dnsblenv
 * sets BLACKLISTED for a listed client, and a {@code v} line of the suspicion file makes greylite refuse
 * it (practically) forever. The DNSBL is Debian's dnsmasq on loopback, listing 127.0.0.1 only.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsblChainTest {

    private static Process dnsmasq;
    private static int dnsPort;

    @TempDir
    Path dir;

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;

    @BeforeAll
    static void startDnsmasq() throws Exception {
        Path program = ExternalPrograms.require("dnsmasq");
        // The port is free when probed, not necessarily when dnsmasq binds it: try a few.
        for (int attempt = 0; attempt < 5 && dnsmasq == null; attempt++) {
            int port = FreePort.loopback();
            Process p = new ProcessBuilder(program.toString(), "--no-daemon", "--conf-file=/dev/null", "--pid-file",
                    "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
                    "--port=" + port, "--cache-size=0", "--local=/bl.test/",
                    "--address=/1.0.0.127.bl.test/127.0.0.2")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (answers(port)) {
                dnsmasq = p;
                dnsPort = port;
            } else {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (dnsmasq == null) {
            fail("dnsmasq did not start");
        }
    }

    @AfterAll
    static void stopDnsmasq() throws InterruptedException {
        if (dnsmasq != null) {
            dnsmasq.destroy();
            dnsmasq.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aListedClientIsRefusedEveryTimeAnUnlistedOnePassesTheRetry() throws Exception {
        Path suspicion = dir.resolve("suspicion");
        Files.writeString(suspicion, "# listed in a DNSBL: refuse practically forever\n100 v BLACKLISTED\n");
        tcpserver = tcpservers.start(
                List.of(Launchers.bin("dnsblenv"), Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir)),
                Map.of("GREYLIST", "", "DBFILE", dir.resolve("greylite.db").toString(), "GREYLITE_MIN_DELAY", "0",
                        "SUSPICION", suspicion.toString(), "DNSBL", "bl.test", "DNSCACHEIP", "127.0.0.1:" + dnsPort,
                        "LOGTHRESHOLD", "6"));

        for (int attempt = 1; attempt <= 3; attempt++) {
            try (SmtpClient c = SmtpClient.connect("127.0.0.1", tcpserver.port())) {
                assertGreylisted("rcpt@example.com", rcpt(c), "attempt " + attempt);
            }
        }
        // Another /24: clients are keyed by their network, and 127.0.0.0/24 has its refusals counted.
        try (SmtpClient c = SmtpClient.connect("127.0.1.3", tcpserver.port())) {
            assertTrue(rcpt(c).startsWith("451 "), "not listed: greylisted once");
        }
        try (SmtpClient c = SmtpClient.connect("127.0.1.3", tcpserver.port())) {
            assertEquals("250 ok", rcpt(c), "and accepted on the retry");
        }
        String decision = tcpserver.awaitLine(l -> l.contains("decision verdict=greylist") && l.contains("attempt=3"),
                java.time.Duration.ofSeconds(5));
        assertTrue(decision != null && decision.contains("v BLACKLISTED"), String.join("\n", tcpserver.log()));
    }

    private static String rcpt(SmtpClient c) throws IOException {
        assertTrue(c.reply().startsWith("220 "));
        c.command("HELO client.example");
        c.command("MAIL FROM:<sender@example.org>");
        String reply = c.command("RCPT TO:<rcpt@example.com>");
        c.command("QUIT");
        return reply;
    }

    /** True once the server at {@code port} answers an A query for the listed name (within ~5 s). */
    private static boolean answers(int port) throws Exception {
        byte[] query = query("1.0.0.127.bl.test");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(200);
            while (System.nanoTime() < deadline) {
                s.send(new DatagramPacket(query, query.length, InetAddress.getLoopbackAddress(), port));
                try {
                    DatagramPacket answer = new DatagramPacket(new byte[512], 512);
                    s.receive(answer);
                    if ((answer.getData()[3] & 0x0f) == 0) {
                        return true; // NOERROR
                    }
                } catch (SocketTimeoutException | java.net.PortUnreachableException notYet) {
                    Thread.sleep(50);
                }
            }
        }
        return false;
    }

    private static byte[] query(String name) {
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        q.writeBytes(new byte[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            q.write(label.length());
            q.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        q.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return q.toByteArray();
    }
}
