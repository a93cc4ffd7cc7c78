package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import org.greylite.daemon.tls.TestCertificates;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The TLS options on greylited's real command line: what it offers, what it logs, how bad files stop it. */
class GreylitedTlsProcessTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    TestCertificates.Pem pem;

    @BeforeEach
    void setUp() throws Exception {
        pem = TestCertificates.rsa(dir, "proxy");
    }

    private GreylitedProcess.Command greylited(String... extra) {
        return GreylitedProcess.command(upstream.address())
                .db(dir.resolve("greylite.db")).args("--hostname", "proxy.test").args(extra);
    }

    /** Runs greylited to its exit at start-up; returns its output, after checking the exit status. */
    private String failedStart(int status, String... extra) throws Exception {
        GreylitedProcess.Exit exit = greylited(extra).runToExit();
        assertEquals(status, exit.status(), exit.output());
        return exit.output();
    }

    @Test
    void aCertificateOnTheCommandLineOffersStartTls() throws Exception {
        try (GreylitedProcess d = greylited().tls(pem).start()) {
            try (RawClient c = new RawClient(d.address())) {
                c.expect(220);
                assertTrue(c.command("EHLO client.example", 250).endsWith("250 STARTTLS"));
                c.command("STARTTLS", 220);
                c.startTls(pem.trustingContext());
                c.command("EHLO client.example", 250);
                c.command("MAIL FROM:<a@example.org>", 250);
                c.command("RCPT TO:<b@example.com>", 451);
                c.command("QUIT", 221);
            }
            String session = d.awaitLine("session end ", Duration.ofSeconds(10));
            assertTrue(session.contains(" tls=yes "), session);
        }
    }

    @Test
    void aSessionWhoseHandshakeFailedIsNotLoggedAsUnderTls() throws Exception {
        try (GreylitedProcess d = greylited().tls(pem).start()) {
            try (RawClient c = new RawClient(d.address())) {
                c.expect(220);
                c.command("EHLO client.example", 250);
                c.command("STARTTLS", 220);
                c.send("EHLO this is not a TLS hello\r\n"); // a client that never speaks TLS
                while (c.socket().getInputStream().read() != -1) {
                    // until greylited closes the connection
                }
            }
            String session = d.awaitLine("session end ", Duration.ofSeconds(10));
            assertTrue(session.contains(" tls=no "), session);
        }
    }

    /**
     * A handshake costs greylited a signature on the session's I/O thread; a client renegotiating (TLS 1.2) in a
     * loop would have it sign for as long as it likes, at no cost of its own (CVE-2011-1473), holding up every
     * session of that thread. Postfix refuses such renegotiation too.
     */
    @Test
    void aClientCannotRenegotiate() throws Exception {
        try (GreylitedProcess d = greylited().tls(pem).start();
             RawClient c = new RawClient(d.address())) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("STARTTLS", 220);
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) pem.trustingContext().getSocketFactory()
                    .createSocket(c.socket(), "127.0.0.1", c.socket().getPort(), true);
            tls.setEnabledProtocols(new String[] {"TLSv1.2"}); // TLS 1.3 has no renegotiation
            tls.setSoTimeout(5000);
            tls.startHandshake();
            java.io.InputStream in = tls.getInputStream();
            java.io.OutputStream out = tls.getOutputStream();
            out.write("EHLO client.example\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            String ehlo = readReply(in);
            assertTrue(ehlo.startsWith("250"), ehlo);
            String afterRenegotiation;
            try {
                tls.startHandshake(); // a renegotiation: a new ClientHello on the established session
                out.write("NOOP\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                afterRenegotiation = readReply(in);
            } catch (IOException refused) {
                afterRenegotiation = "refused: " + refused;
            }
            assertFalse(afterRenegotiation.startsWith("250"), "the renegotiation went through: " + afterRenegotiation);
        }
    }

    /** One reply's text, every line of it; "" at the end of the stream. */
    private static String readReply(java.io.InputStream in) throws IOException {
        StringBuilder reply = new StringBuilder();
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            line.append((char) b);
            if (b == '\n') {
                reply.append(line);
                if (line.length() >= 4 && line.charAt(3) == ' ') {
                    break;
                }
                line.setLength(0);
            }
        }
        return reply.toString();
    }

    @Test
    void sighupPutsARenewedCertificateInForceForNewSessions() throws Exception {
        TestCertificates.Pem renewed = TestCertificates.rsa(dir, "renewed");
        Path cert = Files.copy(pem.cert(), dir.resolve("live-cert.pem"));
        Path key = Files.copy(pem.key(), dir.resolve("live-key.pem"));
        try (GreylitedProcess d = greylited("--tls-cert", cert.toString(), "--tls-key", key.toString()).start()) {
            assertTrue(startTlsWith(d, pem.trustingContext()), "the first certificate");

            Files.copy(renewed.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(renewed.key(), key, StandardCopyOption.REPLACE_EXISTING);
            int before = d.log.size();
            assertEquals(0, d.signal("HUP"));
            d.awaitLine(before, "SIGHUP: reloading the rule files and the TLS certificate", Duration.ofSeconds(10));
            d.awaitLine(before, "STARTTLS offered to clients", Duration.ofSeconds(10));
            assertTrue(startTlsWith(d, renewed.trustingContext()), "the renewed certificate, without a restart");
            assertFalse(startTlsWith(d, pem.trustingContext()), "the old one is gone");

            Files.writeString(cert, "not a certificate");
            before = d.log.size();
            assertEquals(0, d.signal("HUP"));
            d.awaitLine(before, "the TLS certificate cannot be read again", Duration.ofSeconds(10));
            assertTrue(startTlsWith(d, renewed.trustingContext()), "a broken file leaves the certificate in use");
        }
    }

    /**
     * A renewal that cannot serve (certbot's deploy hook reloading a half-written or unreadable key) leaves the old
     * certificate in use until it expires: the line must show at LOGTHRESHOLD=3, as a suspicion file or GeoIP
     * database that does not reload does (both ERROR), not as a warning that the quieter threshold hides.
     */
    @Test
    void aRenewedCertificateThatCannotServeIsLoggedAsAnError() throws Exception {
        Path cert = Files.copy(pem.cert(), dir.resolve("live-cert.pem"));
        Path key = Files.copy(pem.key(), dir.resolve("live-key.pem"));
        try (GreylitedProcess d = greylited("--tls-cert", cert.toString(), "--tls-key", key.toString()).start()) {
            Files.writeString(cert, "not a certificate");
            int before = d.log.size();
            assertEquals(0, d.signal("HUP"));
            String line = d.awaitLine(before, "the TLS certificate cannot be read again", Duration.ofSeconds(10));
            assertTrue(line.contains(" ERROR "), "hidden at LOGTHRESHOLD=3: " + line);
        }
    }

    /** STARTTLS through greylited, trusting only what {@code trust} trusts; false when the handshake fails. */
    private static boolean startTlsWith(GreylitedProcess d, javax.net.ssl.SSLContext trust) throws IOException {
        try (RawClient c = new RawClient(d.address())) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("STARTTLS", 220);
            try {
                c.startTls(trust);
            } catch (javax.net.ssl.SSLException e) {
                return false;
            }
            c.command("EHLO client.example", 250);
            c.command("QUIT", 221);
            return true;
        }
    }

    @Test
    void theLogSaysWhyAnUpstreamWithoutStartTlsFailsTheSession() throws Exception {
        upstream.extensions = "PIPELINING\r\n250 8BITMIME";
        try (GreylitedProcess d = greylited("--upstream-tls", "starttls").start()) {
            d.awaitLine("upstream connections start TLS with STARTTLS; the upstream's certificate is not checked",
                    Duration.ofSeconds(10));
            try (RawClient c = new RawClient(d.address())) {
                c.expect(421);
            }
            String why = d.awaitLine("does not offer STARTTLS", Duration.ofSeconds(10));
            assertTrue(why.contains("ERROR") && why.contains("127.0.0.1:" + upstream.address().getPort()), why);
        }
    }

    @Test
    void tlsFilesThatCannotServeStopTheStartNamingTheFileAndTheProblem() throws Exception {
        Path missing = dir.resolve("missing-key.pem");
        String out = failedStart(GreylitedCommand.USAGE, "--tls-cert", pem.cert().toString(), "--tls-key", missing.toString());
        assertTrue(out.contains("greylited: --tls-key: " + missing + " does not exist"), out);

        out = failedStart(GreylitedCommand.USAGE, "--tls-cert", pem.cert().toString());
        assertTrue(out.contains("--tls-cert and --tls-key go together"), out);

        out = failedStart(GreylitedCommand.USAGE, "--tls-cert", pem.key().toString(), "--tls-key", pem.key().toString());
        assertTrue(out.contains("--tls-cert: " + pem.key() + " holds no certificate"), out);

        out = failedStart(GreylitedCommand.USAGE, "--upstream-tls", "always");
        assertTrue(out.contains("--upstream-tls wants off or starttls, not 'always'"), out);

        out = failedStart(GreylitedCommand.USAGE, "--upstream-tls-ca", pem.cert().toString());
        assertTrue(out.contains("--upstream-tls-ca is only used with --upstream-tls starttls"), out);
    }
}
