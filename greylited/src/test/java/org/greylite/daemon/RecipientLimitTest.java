package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import org.greylite.smtp.RecipientLimit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recipients a transaction takes are counted as Postfix counts its {@code smtpd_recipient_limit}: those it
 * accepts. Counted with the greylisted ones, a message to a thousand new recipients and a known one got 452 for the
 * known one, which had to wait for another transaction although nothing held it back.
 */
class RecipientLimitTest {

    private static final int LIMIT = RecipientLimit.PER_MESSAGE;

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;

    @BeforeEach
    void start() throws IOException {
        // 600 decisions are asked at once: on a loaded machine the last waited longer than the usual 5 s.
        proxy = new ProxyHarness(dir.resolve("greylite.db"), Duration.ofSeconds(60), upstream.address());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
    }

    @Test
    void greylistedRecipientsDoNotCountAgainstTheRecipientsATransactionTakes() throws IOException {
        int greylisted = 600;
        int known = LIMIT - greylisted + 1; // together one over the limit: the last got 452
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<list@example.net>", 250);
            c.send(rcpts("member", 0, greylisted));
            for (int i = 0; i < greylisted; i++) {
                assertTrue(c.reply().startsWith("451 4.7.1 <member" + i + "@example.org>: greylisted"), "member" + i);
            }
            // postmaster@ is never greylisted: these are recipients the transaction takes.
            StringBuilder postmasters = new StringBuilder();
            for (int i = 0; i < known; i++) {
                postmasters.append("RCPT TO:<postmaster@d").append(i).append(".example.org>\r\n");
            }
            c.send(postmasters.toString());
            for (int i = 0; i < known; i++) {
                assertEquals("250 2.1.5 ok", c.reply(), "postmaster" + i);
            }
            // The refused ones are bounded alike: each costs a decision.
            c.send(rcpts("member", greylisted, LIMIT));
            for (int i = greylisted; i < LIMIT; i++) {
                assertTrue(c.reply().startsWith("451 4.7.1"), "member" + i);
            }
            assertEquals("452 4.5.3 Error: too many recipients", c.command("RCPT TO:<one-more@example.org>", 452));
            c.command("DATA", 354);
            c.send("Subject: to the list\r\n\r\nHello.\r\n.\r\n").expect(250);
            c.command("QUIT", 221);
        }
    }

    private static String rcpts(String local, int from, int to) {
        StringBuilder lines = new StringBuilder();
        for (int i = from; i < to; i++) {
            lines.append("RCPT TO:<").append(local).append(i).append("@example.org>\r\n");
        }
        return lines.toString();
    }
}
