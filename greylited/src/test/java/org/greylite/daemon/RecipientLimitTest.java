package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.greylite.connect.AccessRules;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;

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

    /**
     * A client greylisting skips (RELAYCLIENT, WHITELISTED, or authenticated at the upstream) is held to the same
     * limit, as Postfix holds every client to its {@code smtpd_recipient_limit}: the proxy keeps each RCPT line the
     * upstream took for the transaction, and behind an upstream without a limit of its own (qmail-smtpd) one
     * transaction of a few million recipients filled greylited's heap (256 MB) and every session met an
     * OutOfMemoryError.
     */
    @Test
    void aRelayClientIsHeldToTheRecipientLimitToo() throws IOException {
        try (ProxyHarness relay = new ProxyHarness(dir.resolve("relay.db"), upstream.address(), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test"),
                b -> b.access(AccessRules.parse("tcp.smtp", List.of("127.0.0.1:allow,RELAYCLIENT=\"\""))));
             RawClient c = new RawClient(relay.address()).hello()) {
            c.command("MAIL FROM:<list@example.net>", 250);
            c.send(rcpts("member", 0, LIMIT));
            for (int i = 0; i < LIMIT; i++) {
                assertEquals("250 2.1.5 ok", c.reply(), "member" + i);
            }
            assertEquals("452 4.5.3 Error: too many recipients", c.command("RCPT TO:<one-more@example.org>", 452));
        }
    }

    @Test
    void anAuthenticatedClientIsHeldToTheRecipientLimitToo() throws IOException {
        try (RawClient c = proxy.client().hello()) {
            c.command("AUTH PLAIN AHVzZXIAc2VjcmV0", 235);
            c.command("MAIL FROM:<list@example.net>", 250);
            c.send(rcpts("member", 0, LIMIT));
            for (int i = 0; i < LIMIT; i++) {
                assertEquals("250 2.1.5 ok", c.reply(), "member" + i);
            }
            assertEquals("452 4.5.3 Error: too many recipients", c.command("RCPT TO:<one-more@example.org>", 452));
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
