package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extensions of the upstream that the proxy, which pairs each reply with one command and decides every message
 * before it goes upstream, cannot follow: neither offered to the client nor forwarded when the client uses them
 * unoffered.
 *
 * <p>PRDR (Exim with {@code prdr_enable}) answers the end of a message with a 353, a reply per recipient and the
 * final reply: offered, or taken from the client unoffered, it handed the replies after the 353 to the commands
 * pipelined behind the message (the final reply was lost behind a QUIT, and a later DATA could be taken for
 * accepted while the upstream read commands). BURL (Dovecot's submission service) delivered a null sender's
 * message that greylisting decides at DATA without that decision (the upstream fetches the text from the URL: no
 * DATA ever comes), and ATRN or XEXCH50 left the proxy reading the upstream's mail or binary data as commands.
 */
class UnfollowedExtensionsTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;

    @BeforeEach
    void start() throws IOException {
        upstream.extensions = "PIPELINING\r\n250-PRDR\r\n250-8BITMIME\r\n250-BURL imap\r\n250-ATRN\r\n250-XEXCH50\r\n"
                + "250 ENHANCEDSTATUSCODES";
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

    @Test
    void burlAtrnTurnAndXexch50AreNeitherOfferedNorForwarded() throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            String ehlo = c.command("EHLO client.example", 250);
            for (String keyword : List.of("BURL", "ATRN", "XEXCH50")) {
                assertFalse(ehlo.contains(keyword), ehlo);
            }
            assertTrue(ehlo.endsWith("250 ENHANCEDSTATUSCODES"), ehlo);
            c.command("MAIL FROM:<>", 250);
            c.command("RCPT TO:<bob@example.com>", 250);
            assertEquals("502 5.5.1 Error: BURL not implemented",
                    c.command("BURL imap://u@imap.example.com/INBOX;UIDVALIDITY=1/;UID=2;urlauth=submit+u:internal:91354a LAST", 502));
            assertEquals("502 5.5.1 Error: XEXCH50 not implemented", c.command("XEXCH50 1024 2", 502));
            c.command("burl imap://u@imap.example.com/INBOX;UIDVALIDITY=1/;UID=3 LAST", 502);
            // The null sender's message is still decided at DATA: its first attempt is greylisted.
            assertTrue(c.command("DATA", 451).startsWith("451 "));
            assertEquals("502 5.5.1 Error: ATRN not implemented", c.command("ATRN example.com", 502));
            c.command("TURN", 502);
            c.command("QUIT", 221);
        }
        assertFalse(upstream.commands.stream().map(l -> l.toUpperCase(Locale.ROOT))
                .anyMatch(l -> l.startsWith("BURL") || l.startsWith("ATRN") || l.startsWith("TURN") || l.startsWith("XEXCH50")
                        || l.startsWith("DATA")), upstream.commands.toString());
        assertTrue(upstream.messages.isEmpty());
    }
}
