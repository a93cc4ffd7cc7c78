package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BDAT's chunk is streamed to the upstream before its reply comes (RFC 3030 has the server answer after the
 * chunk), so the proxy and the upstream must read the same line as a BDAT of the same size. Exim knows a command
 * only when a space or the end of the line follows its name, as the scripted upstream does: {@code BDAT<TAB>50
 * LAST} is an unknown command there, and the 50 bytes the proxy sent as data were read as commands, a RCPT to a
 * recipient greylisted a moment before and a DATA among them.
 */
class BdatSyntaxTest {

    @TempDir
    Path dir;

    private static final String CHUNK = "RCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n.\r\n";

    private void refused(String bdatLine) throws Exception {
        try (ScriptedUpstream up = new ScriptedUpstream();
             ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), up.address());
             RawClient c = proxy.client()) {
            c.expect(220);
            assertTrue(c.command("EHLO client.example", 250).contains("CHUNKING"));
            c.command("MAIL FROM:<sender@example.org>", 250);
            c.command("RCPT TO:<victim@example.com>", 451);
            c.send(bdatLine + "\r\n" + CHUNK);
            String reply = c.reply();
            Thread.sleep(200);
            assertTrue(reply.startsWith("501 5.5.4 "), "'" + bdatLine + "' refused here: " + reply
                    + "; the upstream read " + up.commands);
            assertTrue(c.closedByServer(), "the chunk's end is unknown: the session ends");
            assertFalse(up.sawCommandStartingWith("RCPT TO:<victim"), "no RCPT reached the upstream: " + up.commands);
            assertFalse(up.commands.stream().anyMatch(l -> l.toUpperCase().startsWith("BDAT")),
                    "the BDAT never reached the upstream: " + up.commands);
            assertEquals(0, up.messages.size(), "nothing delivered");
        }
    }

    @Test
    void aTabAfterTheVerbIsRefused() throws Exception {
        refused("BDAT\t" + CHUNK.length() + " LAST");
    }

    @Test
    void aTabBeforeLastIsRefused() throws Exception {
        refused("BDAT " + CHUNK.length() + "\tLAST");
    }

    @Test
    void twoSpacesAreRefused() throws Exception {
        refused("BDAT  " + CHUNK.length() + " LAST");
    }

    @Test
    void trailingWhiteSpaceIsRefused() throws Exception {
        refused("BDAT " + CHUNK.length() + " LAST ");
    }

    @Test
    void theRfcFormStillPassesInAnyCase() throws Exception {
        try (ScriptedUpstream up = new ScriptedUpstream();
             ProxyHarness proxy = new ProxyHarness(dir.resolve("pass.db"), up.address());
             RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("MAIL FROM:<sender@example.org>", 250);
            c.command("RCPT TO:<postmaster@example.com>", 250);
            c.send("bdat 3\r\nabc");
            assertTrue(c.reply().startsWith("250"));
            c.send("BDAT 2 last\r\nde");
            assertTrue(c.reply().startsWith("250"));
            c.command("QUIT", 221);
            assertEquals(2, up.messages.size());
            assertEquals("abc", new String(up.messages.get(0), java.nio.charset.StandardCharsets.ISO_8859_1));
        }
    }
}
