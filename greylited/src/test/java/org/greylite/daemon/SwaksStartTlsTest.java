package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.daemon.tls.TestCertificates;
import org.greylite.daemon.tls.TlsContexts;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;

import jakarta.mail.internet.MimeMessage;

/** swaks --tls as the client (OpenSSL underneath), greylited terminating its TLS, GreenMail as the upstream. */
class SwaksStartTlsTest {

    @RegisterExtension
    static GreenMailExtension greenMail = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    @TempDir
    Path dir;

    @Test
    void swaksOverTlsIsGreylistedThenDelivers() throws Exception {
        Path swaks = ExternalPrograms.require("swaks");
        TestCertificates.Pem pem = TestCertificates.rsa(dir, "proxy");
        InetSocketAddress up = new InetSocketAddress("127.0.0.1", greenMail.getSmtp().getPort());
        try (ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), up, SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test"), b -> b.clientTls(TlsContexts.server(pem.cert(), pem.key()).context()))) {
            String first = swaks(swaks, proxy, "first");
            assertTrue(first.contains("TLS started"), first);
            assertTrue(first.contains("451 4.7.1 <rcpt@example.com>: greylisted"), first);
            assertEquals(0, greenMail.getReceivedMessages().length);

            proxy.clock.advance(Duration.ofMinutes(10));
            String second = swaks(swaks, proxy, "second");
            assertTrue(second.contains("TLS started"), second);
            MimeMessage[] received = greenMail.getReceivedMessages();
            assertEquals(1, received.length, second);
            assertEquals("greylited over TLS second", received[0].getSubject());
            assertTrue(GreenMailUtil.getBody(received[0]).contains("body of second"));
        }
    }

    /** One swaks run with --tls (STARTTLS required); its whole transcript. */
    private static String swaks(Path swaks, ProxyHarness proxy, String tag) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(swaks.toString(), "--server", "127.0.0.1", "--port",
                Integer.toString(proxy.address().getPort()), "--tls", "--from", "sender@example.org",
                "--to", "rcpt@example.com", "--header", "Subject: greylited over TLS " + tag, "--body", "body of " + tag,
                "--timeout", "10")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }
}
