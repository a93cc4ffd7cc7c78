package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream whose EHLO reply does not give every line the same code (RFC 5321 4.2.1 says it must): clients take the
 * reply by its last line's code and read the extensions of every line (Postfix's smtp client does), so such a reply
 * is a positive EHLO reply to them. It must be filtered as one: before, only a reply whose code was exactly 250 was,
 * so the client was offered the upstream's STARTTLS (which greylited then refused) and XCLIENT, and was refused the
 * BDAT of the CHUNKING it was offered. The reply the client gets carries the one code the proxy acted on.
 */
class EhloReplyWithMixedCodesTest {

    @TempDir
    Path dir;

    @Test
    void isFilteredAndFollowedAsThePositiveReplyClientsTakeItFor() throws Exception {
        try (ScriptedUpstream up = new ScriptedUpstream();
             ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), up.address());
             RawClient c = proxy.client()) {
            up.extensions = "PIPELINING\r\n250-STARTTLS\r\n250-CHUNKING\r\n250-XCLIENT NAME ADDR HELO\r\n"
                    + "251 ENHANCEDSTATUSCODES";
            c.expect(220);
            c.send("EHLO client.example\r\n");
            String ehlo = c.reply();
            for (String line : ehlo.split("\n")) {
                assertTrue(line.startsWith("251"), "one code, the one the proxy acts on: " + ehlo);
            }
            assertFalse(ehlo.contains("STARTTLS"), ehlo);
            assertFalse(ehlo.contains("XCLIENT"), ehlo);
            assertTrue(ehlo.contains("CHUNKING"), ehlo);
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<postmaster@example.com>", 250);
            byte[] chunk = "Subject: chunked\r\n\r\nHello.\r\n".getBytes(StandardCharsets.US_ASCII);
            c.send("BDAT " + chunk.length + " LAST\r\n");
            c.send(chunk);
            assertEquals("250 2.0.0 " + chunk.length + " octets received", c.reply());
            c.command("QUIT", 221);
            assertEquals(1, up.messages.size());
            assertArrayEquals(chunk, up.messages.get(0));
        }
    }
}
