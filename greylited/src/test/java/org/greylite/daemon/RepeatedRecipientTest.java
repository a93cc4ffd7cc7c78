package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.greylite.relay.RcptOrder;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipient a client names twice in one transaction ({@code bob@} twice, or {@code Bob@} and {@code bob@}, which the
 * greydb keys alike) is one attempt of its triplet. Decided twice, the second was a retry sooner than greylite's
 * schedule, and under the shipped examples' {@code 100 b greetdelay retryinterval} the client's every later message
 * needed a hundred attempts. The line used here is that one's {@code retryinterval} half.
 */
class RepeatedRecipientTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
    }

    private void startProxy(RcptOrder order) {
        SuspicionFile rules = SuspicionFile.parse("test.suspicion", List.of("100 b retryinterval"), null);
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address(), rules,
                RelaySettings.defaults("proxy.test").withRcptOrder(order), b -> { });
    }

    @Test
    void aRecipientNamedTwiceIsRefusedTwiceAndTheRetryPasses() throws IOException {
        startProxy(RcptOrder.GREYLIST_FIRST);
        aRecipientNamedTwiceIsOneAttempt();
    }

    @Test
    void inTheUpstreamFirstOrderToo() throws IOException {
        startProxy(RcptOrder.UPSTREAM_FIRST);
        aRecipientNamedTwiceIsOneAttempt();
    }

    private void aRecipientNamedTwiceIsOneAttempt() throws IOException {
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<alice@example.net>", 250);
            c.send("RCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nRCPT TO:<Bob@Example.ORG>\r\n"
                    + "RCPT TO:<bob@example.org>\r\n");
            assertTrue(c.reply().startsWith("451 4.7.1 <bob@example.org>: greylisted"));
            assertTrue(c.reply().startsWith("451 4.7.1 <carol@example.org>: greylisted"));
            assertTrue(c.reply().startsWith("451 4.7.1 <Bob@Example.ORG>: greylisted"), "the first one's verdict");
            assertTrue(c.reply().startsWith("451 4.7.1 <bob@example.org>: greylisted"));
            c.command("QUIT", 221);
        }
        proxy.clock.advance(Duration.ofMinutes(6));
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<alice@example.net>", 250);
            c.send("RCPT TO:<bob@example.org>\r\nRCPT TO:<BOB@example.org>\r\nRCPT TO:<carol@example.org>\r\n");
            assertEquals("250 2.1.5 ok", c.reply(), "the retry passes: the client never retried too soon");
            assertEquals("250 2.1.5 ok", c.reply(), "the repeat of a recipient that passed goes upstream too");
            assertEquals("250 2.1.5 ok", c.reply());
            c.command("DATA", 354);
            c.send("Subject: twice\r\n\r\nHello.\r\n.\r\n").expect(250);
            c.command("QUIT", 221);
        }
        assertTrue(upstream.commands.contains("RCPT TO:<BOB@example.org>"), upstream.commands.toString());
    }

    @Test
    void aNewTransactionIsANewAttempt() throws IOException {
        startProxy(RcptOrder.GREYLIST_FIRST);
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<alice@example.net>", 250);
            assertTrue(c.command("RCPT TO:<bob@example.org>", 451).contains("greylisted"));
            c.command("RSET", 250);
            c.command("MAIL FROM:<alice@example.net>", 250);
            // Not the first verdict given again: asked anew, a retry too soon, which says how long to wait.
            assertTrue(c.command("RCPT TO:<bob@example.org>", 451).contains("greylisted"));
            c.command("QUIT", 221);
        }
    }

    @Test
    void theNullSendersRecipientNamedTwiceOrAtASecondDataIsOneAttempt() throws IOException {
        startProxy(RcptOrder.GREYLIST_FIRST);
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<>", 250);
            c.command("RCPT TO:<bob@example.org>", 250);
            c.command("RCPT TO:<BOB@example.org>", 250);
            assertTrue(c.command("DATA", 451).startsWith("451 4.7.1 <bob@example.org>"));
            assertTrue(c.command("DATA", 451).startsWith("451 4.7.1 <bob@example.org>"), "the same verdict");
            c.command("QUIT", 221);
        }
        proxy.clock.advance(Duration.ofMinutes(6));
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<>", 250);
            c.command("RCPT TO:<bob@example.org>", 250);
            c.command("DATA", 354);
            c.send("Subject: bounce\r\n\r\nHello.\r\n.\r\n").expect(250);
            c.command("QUIT", 221);
        }
    }
}
