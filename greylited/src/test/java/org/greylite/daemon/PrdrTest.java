package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream offering PRDR (Exim with {@code prdr_enable}) answers the end of a message with a 353, a reply per
 * recipient and the final reply. The proxy, which pairs each reply with one command, must keep the session out of
 * it: offered to the client, or taken from it unoffered, PRDR handed the replies after the 353 to the commands
 * pipelined behind the message (the final reply was lost behind a QUIT, and a later DATA could be taken for
 * accepted while the upstream read commands).
 */
class PrdrTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;

    @BeforeEach
    void start() throws IOException {
        upstream.extensions = "PIPELINING\r\n250-PRDR\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES";
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
    }

    @Test
    void prdrIsNotOfferedAndAMailAskingForItAnywayIsRefusedHere() throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            String ehlo = c.command("EHLO client.example", 250);
            assertFalse(ehlo.contains("PRDR"), ehlo);
            assertTrue(ehlo.endsWith("250 ENHANCEDSTATUSCODES"), ehlo);
            assertEquals("555 5.5.4 Unsupported option: PRDR", c.command("MAIL FROM:<a@example.org> PRDR", 555));
            c.command("MAIL FROM:<a@example.org> BODY=8BITMIME prdr", 555);
            c.command("MAIL FROM:<a@example.org> SIZE=100", 250);
            c.command("RCPT TO:<postmaster@example.com>", 250);
            c.command("DATA", 354);
            // QUIT pipelined behind the message: each gets its own reply.
            c.send("Subject: t\r\n\r\nHello.\r\n.\r\nQUIT\r\n");
            assertEquals("250 2.0.0 queued as 1", c.reply());
            c.expect(221);
        }
        assertFalse(upstream.commands.stream().anyMatch(l -> l.toUpperCase().contains("PRDR")), upstream.commands.toString());
    }
}
