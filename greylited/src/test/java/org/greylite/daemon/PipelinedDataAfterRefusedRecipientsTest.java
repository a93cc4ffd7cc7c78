package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.relay.RcptOrder;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.testing.PostfixPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that pipelines (RFC 2920) sends MAIL, its RCPTs and DATA in one write, and reads the replies after: when
 * every recipient was refused, the upstream refuses the DATA too (a real Postfix here: {@code 554 5.5.1 Error: no
 * valid recipients}). That refusal follows from the recipients' and is no command error of the client's: the
 * recipients' refusals are judged at their RCPTs, each as docs/choices.md says (a greylisting reply or the upstream's
 * {@code 4xx} marks no one, the upstream-first order forgives the first upstream refusal). Under {@code 3 b
 * commanderrors}, a client marked by the DATA's {@code 554} needed three refusals for the next triplet it tried in
 * that session; unmarked, its retry past the delay passes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PipelinedDataAfterRefusedRecipientsTest {

    private static final String SENDER = "ann@sender.example";
    private static final String GREY = "grey@dest.example";

    @TempDir
    static Path dir;

    @RegisterExtension
    static final PostfixPerClass postfix = new PostfixPerClass(p -> p
            .main("smtpd_recipient_restrictions", "check_recipient_access inline:{"
                    + "{postmaster@busy.example=450 4.2.1 mailbox busy, try later},"
                    + "{unknown@dest.example=REJECT no such user}}")
            .listener("plain"));

    private static ProxyHarness proxy(String name, RcptOrder order) throws Exception {
        return new ProxyHarness(dir.resolve(name + ".db"), postfix.server().address("plain"),
                SuspicionFile.parse("test.suspicion", List.of("3 b commanderrors"), null),
                RelaySettings.defaults("proxy.test").withRcptOrder(order), b -> { });
    }

    /**
     * In one session from {@code client}: a pipelined message to {@code recipient}, whose RCPT gets {@code rcptCode}
     * and whose DATA the upstream refuses; then grey@ greylisted, and retried past the delay. Returns the reply to
     * the retry's RCPT.
     */
    private static String retryAfterAPipelinedMessageNobodyTook(ProxyHarness proxy, String client, String recipient,
            int rcptCode) throws Exception {
        try (RawClient c = new RawClient(proxy.address(), InetAddress.getByName(client)).hello()) {
            c.send("MAIL FROM:<" + SENDER + ">\r\nRCPT TO:<" + recipient + ">\r\nDATA\r\n");
            c.expect(250);
            c.expect(rcptCode);
            assertTrue(c.expect(554).contains("no valid recipients"), "Postfix's own refusal of the DATA");
            c.command("RSET", 250);
            c.command("MAIL FROM:<" + SENDER + ">", 250);
            c.command("RCPT TO:<" + GREY + ">", 451);
            c.command("RSET", 250);
            proxy.clock.advance(Duration.ofSeconds(301));
            return c.rcptThenQuit(SENDER, GREY);
        }
    }

    @Test
    void aMessageWhoseRecipientWasGreylistedLeavesTheClientUnmarked() throws Exception {
        try (ProxyHarness proxy = proxy("greylisted", RcptOrder.GREYLIST_FIRST)) {
            String reply = retryAfterAPipelinedMessageNobodyTook(proxy, "127.4.0.1", "first@dest.example", 451);
            assertTrue(reply.startsWith("250 "), "N = 1: the retry passes: " + reply);
        }
    }

    @Test
    void aMessageWhoseRecipientTheUpstreamDeferredLeavesTheClientUnmarked() throws Exception {
        try (ProxyHarness proxy = proxy("deferred", RcptOrder.GREYLIST_FIRST)) {
            // postmaster@ is never greylisted: it goes upstream, which answers 450
            String reply = retryAfterAPipelinedMessageNobodyTook(proxy, "127.4.0.2", "postmaster@busy.example", 450);
            assertTrue(reply.startsWith("250 "), "an upstream's 4xx marks no one, nor the DATA after it: " + reply);
        }
    }

    @Test
    void inTheUpstreamFirstOrderASendersTypoIsStillForgivenWhenItsDataWasPipelined() throws Exception {
        try (ProxyHarness proxy = proxy("typo", RcptOrder.UPSTREAM_FIRST)) {
            String reply = retryAfterAPipelinedMessageNobodyTook(proxy, "127.4.0.3", "unknown@dest.example", 554);
            assertTrue(reply.startsWith("250 "), "the first upstream refusal is forgiven: " + reply);
        }
    }
}
