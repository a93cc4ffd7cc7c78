package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.greylite.relay.RcptOrder;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.PostfixPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An RSET the upstream refuses ends nothing. Postfix answers {@code RSET now} with {@code 501 5.5.4 Syntax: RSET}
 * and keeps its transaction (qmail-smtpd does the same with {@code RSET<TAB>}, which it does not know): the proxy,
 * which let go of the transaction as soon as it forwarded the RSET, forwarded the next DATA undecided, and Postfix
 * delivered to a recipient the proxy had greylisted (upstream-first) or never decided (the null sender).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RsetRefusedUpstreamTest {

    private static final String GREY = "grey@example.com";

    @TempDir
    static Path dir;

    @RegisterExtension
    static final PostfixPerClass postfix = new PostfixPerClass(p -> p.listener("plain"));

    private static ProxyHarness proxy(String name, RcptOrder order) {
        return new ProxyHarness(dir.resolve(name + ".db"), postfix.server().address("plain"), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test").withRcptOrder(order), b -> { });
    }

    /** After the refused RSET, DATA is refused by {@code expectedDataCode}, and Postfix queues nothing. */
    private static void refusedRsetKeepsTheTransaction(String name, RcptOrder order, String sender, int rcptCode,
            String dataReply) throws Exception {
        try (ProxyHarness proxy = proxy(name, order);
                RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.3.0.1")).hello()) {
            c.command("MAIL FROM:<" + sender + ">", 250);
            c.command("RCPT TO:<" + GREY + ">", rcptCode);
            assertTrue(c.command("RSET now", 501).startsWith("501 5.5.4"), "Postfix's own refusal");
            String data = c.command("DATA", Integer.parseInt(dataReply.substring(0, 3)));
            assertTrue(data.startsWith(dataReply), name + ": DATA is refused, not sent on undecided: " + data);
            c.command("RSET", 250);
            c.command("QUIT", 221);
        }
        Thread.sleep(300);
        assertFalse(postfix.server().log().contains("to=<" + GREY + ">"), name + ": nothing queued; Postfix's log:\n"
                + postfix.server().log());
    }

    @Test
    void upstreamFirstAGreylistedRecipientStaysWithdrawn() throws Exception {
        refusedRsetKeepsTheTransaction("upstream-first", RcptOrder.UPSTREAM_FIRST, "sender@example.org", 451,
                "554 5.5.1");
    }

    @Test
    void theNullSendersRecipientsAreStillDecidedAtData() throws Exception {
        refusedRsetKeepsTheTransaction("null-sender", RcptOrder.GREYLIST_FIRST, "", 250,
                "451 4.7.1 <" + GREY + ">: greylisted");
    }

    @Test
    void anAcceptedRsetStillEndsTheTransactionWhenPipelined() throws Exception {
        try (ProxyHarness proxy = proxy("pipelined", RcptOrder.GREYLIST_FIRST);
                RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.3.1.1")).hello()) {
            c.send("MAIL FROM:<a@example.org>\r\nRSET\r\nMAIL FROM:<b@example.org>\r\nRCPT TO:<" + GREY + ">\r\n");
            assertTrue(c.reply().startsWith("250"));
            assertEquals("250 2.0.0 Ok", c.reply());
            assertTrue(c.reply().startsWith("250"), "the MAIL after the RSET is not nested");
            assertTrue(c.reply().startsWith("451 4.7.1"));
            c.command("QUIT", 221);
        }
    }
}
