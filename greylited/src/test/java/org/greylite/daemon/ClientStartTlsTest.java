package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.greylite.daemon.tls.TestCertificates;
import org.greylite.daemon.tls.TlsContexts;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * STARTTLS toward clients: greylited terminates TLS with a certificate the test makes, a real TLS client (Java's
 * SSLSocket, on the connection the dialogue began on in clear) talks through it, and greylisting still sees the
 * envelope it sends encrypted.
 */
class ClientStartTlsTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;
    TestCertificates.Pem pem;

    @BeforeEach
    void start() throws Exception {
        pem = TestCertificates.rsa(dir, "proxy");
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address(), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test"), b -> b.clientTls(TlsContexts.server(pem.cert(), pem.key()).context()));
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
    }

    /** Greeting and EHLO in clear, STARTTLS, the handshake, and EHLO again under TLS. */
    private RawClient encrypted() throws IOException {
        RawClient c = proxy.client();
        c.expect(220);
        String ehlo = c.command("EHLO client.example", 250);
        assertTrue(ehlo.endsWith("250 STARTTLS"), ehlo);
        c.command("STARTTLS", 220);
        c.startTls(pem.trustingContext());
        String again = c.command("EHLO client.example", 250);
        assertFalse(again.contains("STARTTLS"), "not offered again under TLS: " + again);
        return c;
    }

    @Test
    void startTlsIsOfferedOnlyWithACertificate() throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            String ehlo = c.command("EHLO client.example", 250);
            assertEquals(1, ehlo.split("STARTTLS", -1).length - 1, "our STARTTLS only, the upstream's removed: " + ehlo);
        }
        try (ProxyHarness plain = new ProxyHarness(dir.resolve("plain.db"), upstream.address());
             RawClient c = plain.client()) {
            c.expect(220);
            assertFalse(c.command("EHLO client.example", 250).contains("STARTTLS"));
            c.command("STARTTLS", 454);
        }
        assertFalse(upstream.sawCommandStartingWith("STARTTLS"), "STARTTLS never reaches the upstream");
    }

    @Test
    void greylistingSeesTheEnvelopeSentUnderTlsAndTheRetryDeliversByteForByte() throws IOException {
        try (RawClient c = encrypted()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            assertEquals("451 4.7.1 <b@example.com>: greylisted, please retry in 300 seconds",
                    c.command("RCPT TO:<b@example.com>", 451));
            c.command("QUIT", 221);
        }
        assertTrue(upstream.sawCommandStartingWith("MAIL FROM:<a@example.org>"));
        assertFalse(upstream.sawCommandStartingWith("RCPT"), "the greylisted RCPT was not forwarded");

        proxy.clock.advance(Duration.ofMinutes(10));
        byte[] body = message();
        try (RawClient c = encrypted()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("DATA", 354);
            c.send(body);
            c.expect(250);
            c.command("QUIT", 221);
        }
        assertEquals(1, upstream.messages.size());
        assertArrayEquals(body, upstream.messages.get(0), "the message reaches the upstream byte for byte");
        assertFalse(upstream.sawCommandStartingWith("STARTTLS"));
        assertEquals(4, upstream.commands.stream().filter(l -> l.equals("EHLO client.example")).count(),
                "each session's EHLO before and after TLS reached the upstream");
    }

    @Test
    void commandsPipelinedAfterStartTlsAreThrownAway() throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            // CVE-2011-0411: injected in clear behind STARTTLS, it must not pass for what the client says under TLS.
            c.send("STARTTLS\r\nMAIL FROM:<injected@example.org>\r\nRCPT TO:<victim@example.com>\r\n");
            c.expect(220);
            c.startTls(pem.trustingContext());
            c.command("EHLO client.example", 250);
            // With no sender there is nothing to decide by: the proxy refuses the RCPT itself.
            assertEquals("503 5.5.1 Error: need MAIL command", c.command("RCPT TO:<b@example.com>", 503));
            c.command("QUIT", 221);
        }
        assertFalse(upstream.sawCommandStartingWith("MAIL FROM:<injected"), upstream.commands.toString());
        assertFalse(upstream.sawCommandStartingWith("RCPT TO:"), upstream.commands.toString());
    }

    @Test
    void startTlsInsideATransactionIsRefusedSoTheSenderGivenInClearCannotServeRecipientsUnderTls()
            throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<clear@example.org>", 250);
            assertEquals("503 5.5.1 Error: MAIL transaction in progress", c.command("STARTTLS", 503));
            c.command("RSET", 250);
            c.command("STARTTLS", 220);
            c.startTls(pem.trustingContext());
            c.command("EHLO client.example", 250);
            c.command("RCPT TO:<victim@example.com>", 503);
            c.command("QUIT", 221);
        }
        assertFalse(upstream.sawCommandStartingWith("RCPT TO:"), upstream.commands.toString());
    }

    @Test
    void underTlsAMailBeforeANewGreetingIsRefusedThoughTheUpstreamStillHoldsTheOldOne() throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("STARTTLS", 220);
            c.startTls(pem.trustingContext());
            // RFC 3207 4.2: the greeting given in clear counts for nothing under TLS.
            assertEquals("503 5.5.1 Error: send HELO/EHLO first", c.command("MAIL FROM:<notls@example.org>", 503));
            c.command("HELO client.example", 250);
            c.command("MAIL FROM:<tls@example.org>", 250);
            c.command("QUIT", 221);
        }
        assertFalse(upstream.sawCommandStartingWith("MAIL FROM:<notls"), upstream.commands.toString());
        assertTrue(upstream.sawCommandStartingWith("MAIL FROM:<tls@"), upstream.commands.toString());
    }

    @Test
    void startTlsUnderTlsGets503() throws IOException {
        try (RawClient c = encrypted()) {
            assertEquals("503 5.5.1 TLS already active", c.command("STARTTLS", 503));
            c.command("NOOP", 250);
        }
    }

    @Test
    void aClientThatFailsTheHandshakeIsDisconnected() throws Exception {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.command("STARTTLS", 220);
            c.send("EHLO this is not a TLS hello\r\n");
            InputStream in = c.socket().getInputStream();
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            byte[] b = new byte[512];
            int n;
            while ((n = in.read(b)) != -1) { // a TLS alert, perhaps, then the end: no SMTP reply
                rest.write(b, 0, n);
            }
            assertFalse(rest.toString(StandardCharsets.ISO_8859_1).contains("250"), rest.toString(StandardCharsets.ISO_8859_1));
        }
        ProxyEndToEndTest.waitFor(() -> proxy.server.activeSessions() == 0, "the session ended");
        assertFalse(upstream.sawCommandStartingWith("EHLO this"));
    }

    /**
     * A client that goes silent after STARTTLS's 220, before any handshake, is disconnected at the idle timeout:
     * the 421 cannot be encrypted, and waiting to send it held the connection (and its place) for ever.
     */
    @Test
    void aClientSilentAfterStartTlsIsDisconnectedAtTheIdleTimeout() throws Exception {
        proxy.close();
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address(), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test"), b -> b.clientTls(TlsContexts.server(pem.cert(), pem.key()).context())
                        .idleTimeout(Duration.ofSeconds(1)));
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.command("STARTTLS", 220);
            c.socket().setSoTimeout(30_000);
            assertEquals(-1, c.socket().getInputStream().read(), "the connection ends, no byte sent in clear");
        }
        ProxyEndToEndTest.waitFor(() -> proxy.server.activeSessions() == 0, "the session ended");
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateCannotBeFooled() throws Exception {
        TestCertificates.Pem other = TestCertificates.rsa(dir, "other");
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.command("STARTTLS", 220);
            assertThrows(javax.net.ssl.SSLHandshakeException.class, () -> c.startTls(other.trustingContext()));
        }
        ProxyEndToEndTest.waitFor(() -> proxy.server.activeSessions() == 0, "the session ended");
    }

    @Test
    void aHundredPipelinedRecipientsAndALargeMessageCrossTls() throws IOException {
        try (RawClient c = encrypted()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 451);
        }
        proxy.clock.advance(Duration.ofMinutes(10));
        StringBuilder pipelined = new StringBuilder("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n");
        for (int i = 0; i < 100; i++) {
            pipelined.append("RCPT TO:<r").append(i).append("@example.com>\r\n"); // auto-whitelisted client: all pass
        }
        byte[] big = bigMessage(1024 * 1024);
        try (RawClient c = encrypted()) {
            c.send(pipelined + "DATA\r\n");
            for (int i = 0; i < 102; i++) {
                c.expect(250);
            }
            c.expect(354);
            c.send(big);
            c.expect(250);
            c.command("QUIT", 221);
        }
        assertArrayEquals(big, upstream.messages.get(0));
    }

    /** Dot-stuffing, 8-bit bytes and the terminator, as a client sends them after DATA. */
    private static byte[] message() {
        String text = "From: a@example.org\r\nTo: b@example.com\r\nSubject: under TLS\r\n\r\n"
                + "..a stuffed line\r\ncaf\u00e9 8-bit\r\n.\r\n";
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] bigMessage(int size) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("Subject: big\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        byte[] line = new byte[76];
        Arrays.fill(line, (byte) 'x');
        int n = 0;
        while (b.size() < size) {
            line[0] = (byte) ('a' + n++ % 26);
            b.writeBytes(line);
            b.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        b.writeBytes(".\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return b.toByteArray();
    }
}
