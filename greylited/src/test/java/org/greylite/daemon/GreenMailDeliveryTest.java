package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;

import jakarta.mail.internet.MimeMessage;

/** Real programs on both sides: swaks as the client, GreenMail as the upstream SMTP server. */
class GreenMailDeliveryTest {

    @RegisterExtension
    static GreenMailExtension greenMail = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    @TempDir
    Path dir;

    @Test
    void swaksIsGreylistedThenDeliversThroughTheProxyToGreenMail() throws Exception {
        Path swaks = ExternalPrograms.require("swaks");
        java.net.InetSocketAddress up = new java.net.InetSocketAddress("127.0.0.1", greenMail.getSmtp().getPort());
        try (ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), up)) {
            SwaksRun first = swaks(swaks, proxy, "first");
            assertTrue(first.output.contains("451 4.7.1 <rcpt@example.com>: greylisted"), first.output);
            assertEquals(0, greenMail.getReceivedMessages().length);

            proxy.clock.advance(Duration.ofMinutes(10));
            SwaksRun second = swaks(swaks, proxy, "second");
            assertEquals(0, second.exit, second.output);
            MimeMessage[] received = greenMail.getReceivedMessages();
            assertEquals(1, received.length);
            assertEquals("greylited test second", received[0].getSubject());
            assertTrue(GreenMailUtil.getBody(received[0]).contains("body of second"));
        }
    }

    private record SwaksRun(int exit, String output) {
    }

    private static SwaksRun swaks(Path swaks, ProxyHarness proxy, String tag) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(swaks.toString(), "--server", "127.0.0.1", "--port",
                Integer.toString(proxy.address().getPort()), "--from", "sender@example.org", "--to", "rcpt@example.com",
                "--header", "Subject: greylited test " + tag, "--body", "body of " + tag, "--timeout", "10"))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new SwaksRun(p.exitValue(), out);
    }
}
