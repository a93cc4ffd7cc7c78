package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;

/**
 * GreenMail offers no CHUNKING, as qmail-smtpd does not: a BDAT forwarded to it would be refused and its chunk
 * read as commands, so a recipient greylisted a moment before could be delivered by a RCPT smuggled in the chunk.
 */
class BdatWithoutChunkingTest {

    @RegisterExtension
    static GreenMailExtension greenMail = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    @TempDir
    Path dir;

    @Test
    void aChunkFullOfCommandsNeverReachesTheUpstream() throws Exception {
        InetSocketAddress up = new InetSocketAddress("127.0.0.1", greenMail.getSmtp().getPort());
        String chunk = "RCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n.\r\n";
        try (ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), up);
             RawClient c = proxy.client()) {
            c.expect(220);
            String ehlo = c.command("EHLO client.example", 250);
            assertFalse(ehlo.contains("CHUNKING"), ehlo);
            c.command("MAIL FROM:<sender@example.org>", 250);
            c.command("RCPT TO:<victim@example.com>", 451);
            c.send("BDAT " + chunk.length() + " LAST\r\n" + chunk);
            assertTrue(c.reply().startsWith("502 5.5.1 "));
            c.command("NOOP", 250); // the chunk was skipped as data: the session goes on at the next command
            c.command("QUIT", 221);
        }
        assertEquals(0, greenMail.getReceivedMessages().length, "nothing was delivered to the greylisted recipient");
    }
}
