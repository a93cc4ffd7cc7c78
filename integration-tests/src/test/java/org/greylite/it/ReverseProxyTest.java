package org.greylite.it;

import static org.greylite.it.SmtpClient.assertGreylisted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.server.SMTPServer;

/**
 * greylite(8)'s reverse-proxy mode, with a real SMTP server behind it:
 * {@code tcpserver -> greylite -> ucspi2socket 127.0.0.1 PORT -> SubEthaSMTP}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReverseProxyTest {

    @TempDir
    Path dir;

    private SMTPServer upstream;
    private final List<String> recipients = new CopyOnWriteArrayList<>();
    private final List<byte[]> messages = new CopyOnWriteArrayList<>();

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;

    @BeforeEach
    void startUpstream() {
        upstream = SMTPServer.port(0)
                .bindAddress(InetAddress.getLoopbackAddress())
                .hostName("upstream.example")
                .insertReceivedHeaders(false)
                .messageHandler((context, from, to, data) -> {
                    recipients.add(to);
                    messages.add(data);
                })
                .build();
        upstream.start();
    }

    @AfterEach
    void stop() {
        upstream.stop();
    }

    @Test
    void greylistsInFrontOfARealSmtpServerAndDeliversTheRetryByteForByte() throws Exception {
        tcpserver = tcpservers.start(List.of(Launchers.bin("greylite"), Launchers.bin("ucspi2socket"), "127.0.0.1",
                        Integer.toString(upstream.getPortAllocated())),
                Map.of("GREYLIST", "", "DBFILE", dir.resolve("greylite.db").toString(), "GREYLITE_MIN_DELAY", "0"));

        String body = "Subject: through the chain\r\n\r\nline one\r\n..a line starting with a dot\r\nlast line\r\n";
        try (SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            String greeting = c.reply();
            assertTrue(greeting.startsWith("220 upstream.example"), greeting);
            assertTrue(c.command("EHLO client.example").startsWith("250 "));
            assertEquals(250, code(c.command("MAIL FROM:<sender@example.org>")));
            assertGreylisted("rcpt@example.com", c.command("RCPT TO:<rcpt@example.com>"));
            assertEquals(503, code(c.command("DATA")), "the upstream never saw the greylisted recipient");
            assertEquals(221, code(c.command("QUIT")));
        }
        try (SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.reply();
            c.command("EHLO client.example");
            c.command("MAIL FROM:<sender@example.org>");
            assertEquals(250, code(c.command("RCPT TO:<rcpt@example.com>")));
            assertEquals(354, code(c.command("DATA")));
            assertEquals(250, code(c.command(body + ".")));
            assertEquals(221, code(c.command("QUIT")));
            assertTrue(c.closedByServer());
        }
        assertEquals(List.of("rcpt@example.com"), recipients);
        assertEquals(body.replace("\r\n..", "\r\n."), new String(messages.get(0), StandardCharsets.US_ASCII));
        assertEquals(List.of(0, 0), tcpserver.awaitEnds(2, Duration.ofSeconds(15)));
    }

    @Test
    void aClientVanishingInTheMiddleOfAMessageEndsUcspi2socketWithSigtermEveryTime() throws Exception {
        // greylite terminates PROGRAM before PROGRAM can read the end of its input. ucspi2socket, seeing that end
        // first, half-closed its connection, heard the upstream close and exited 0 before the JVM acted on the
        // signal: tcpserver's log said "status 0" in most such sessions, not the 143 the README promises.
        tcpserver = tcpservers.start(List.of(Launchers.bin("greylite"), Launchers.bin("ucspi2socket"), "127.0.0.1",
                        Integer.toString(upstream.getPortAllocated())),
                Map.of("GREYLIST", "", "RELAYCLIENT", "", "DBFILE", dir.resolve("greylite.db").toString()));
        int sessions = 3;
        for (int i = 0; i < sessions; i++) {
            SmtpClient c = SmtpClient.connect(tcpserver.port());
            c.reply();
            c.command("EHLO client.example");
            assertEquals(250, code(c.command("MAIL FROM:<sender@example.org>")));
            assertEquals(250, code(c.command("RCPT TO:<rcpt@example.com>")));
            assertEquals(354, code(c.command("DATA")));
            c.send("Subject: half a message\r\n\r\nthe first line\r\n");
            c.abort();
            assertEquals(Collections.nCopies(i + 1, 143 << 8), tcpserver.awaitEnds(i + 1, Duration.ofSeconds(20)),
                    "session " + (i + 1));
        }
        assertEquals(List.of(), messages, "nothing delivered");
    }

    private static int code(String reply) throws IOException {
        return Integer.parseInt(reply.substring(0, 3));
    }
}
