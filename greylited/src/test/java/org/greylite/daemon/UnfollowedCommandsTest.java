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
 * An upstream offering BURL (Dovecot's submission service), ATRN or XEXCH50: the proxy neither offers them nor
 * forwards them. Forwarded, BURL delivered a null sender's message that greylisting decides at DATA without that
 * decision (the upstream fetches the text from the URL: no DATA ever comes), and ATRN or XEXCH50 left the proxy
 * reading the upstream's mail or binary data as commands.
 */
class UnfollowedCommandsTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;

    @BeforeEach
    void start() throws IOException {
        upstream.extensions = "PIPELINING\r\n250-BURL imap\r\n250-ATRN\r\n250-XEXCH50\r\n250 ENHANCEDSTATUSCODES";
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
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
