package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.greylite.relay.RelaySettings;
import org.greylite.smtp.RecipientLimit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The junk limit counts commands that move no mail forward. A well-formed RCPT the proxy refuses because of where it
 * stands (one over the recipient limit) is no junk: a client pipelining a message to more recipients than a
 * transaction takes is told 452 for the rest, and must still be able to send its DATA. Counted as junk, 101 such
 * replies ended the session with 421 before the DATA, at every retry: the message never went. A RCPT whose address
 * cannot be read is junk, counted once, not once as a command and again as a refused line.
 */
class RefusedMailCommandsAreNotJunkTest {

    private static final int LIMIT = RelaySettings.DEFAULT_JUNK_COMMAND_LIMIT;

    @TempDir
    Path dir;

    @Test
    void aMessageToMoreRecipientsThanTheLimitGoesToThoseTakenWhateverTheRestCount() throws Exception {
        int over = LIMIT + 50;
        try (ScriptedUpstream up = new ScriptedUpstream();
             ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), up.address());
             RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            // Pipelined, as a sender with a long list sends them; postmaster@ of each domain is never greylisted.
            StringBuilder pipeline = new StringBuilder("MAIL FROM:<list@example.org>\r\n");
            for (int i = 0; i < RecipientLimit.PER_MESSAGE + over; i++) {
                pipeline.append("RCPT TO:<postmaster@d").append(i).append(".example>\r\n");
            }
            pipeline.append("DATA\r\n");
            c.send(pipeline.toString());
            c.expect(250);
            for (int i = 0; i < RecipientLimit.PER_MESSAGE; i++) {
                c.expect(250);
            }
            for (int i = 0; i < over; i++) {
                assertEquals("452 4.5.3 Error: too many recipients", c.reply());
            }
            c.expect(354);
            c.command("Subject: many\r\n\r\nto many\r\n.", 250);
            c.command("QUIT", 221);
            assertEquals(1, up.messages.size());
        }
    }

    @Test
    void aRecipientThatCannotBeReadCountsOnceAgainstTheLimit() throws Exception {
        try (ScriptedUpstream up = new ScriptedUpstream();
             ProxyHarness proxy = new ProxyHarness(dir.resolve("junk.db"), up.address());
             RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250); // junk 1
            c.command("MAIL FROM:<a@example.org>", 250);
            for (int i = 2; i < LIMIT; i++) {
                c.command("RCPT TO:<b" + i + "@example.com", 501);
            }
            c.command("NOOP", 250); // junk 100, the last allowed
            assertTrue(c.command("NOOP", 421).startsWith("421 4.7.0"), "one junk command over the limit");
        }
    }
}
