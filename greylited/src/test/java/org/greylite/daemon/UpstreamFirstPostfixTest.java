package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.relay.RcptOrder;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.PostfixPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylited with --rcpt-order upstream-first in front of a real Postfix that refuses unknown recipients with
 * {@code reject_unlisted_recipient} (its relay recipient table knows pass@ and grey@) and offers PIPELINING and
 * CHUNKING. Postfix queues each message and discards it, logging one line per recipient it was for.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UpstreamFirstPostfixTest {

    private static final Pattern QUEUED_FOR = Pattern.compile("to=<([^>]*)>, relay=none.*status=sent");

    @TempDir
    static Path dir;

    @RegisterExtension
    static final PostfixPerClass postfix = new PostfixPerClass(p -> p
            .main("relay_recipient_maps", "inline:{" + MixedEnvelope.PASS + "=ok, " + MixedEnvelope.GREY + "=ok}")
            .main("smtpd_recipient_restrictions", "reject_unlisted_recipient")
            .listener("plain"));

    /** The recipients Postfix delivered (discarded) messages to, in its log's order. */
    private static List<String> delivered() {
        Matcher m = QUEUED_FOR.matcher(postfix.server().log());
        return m.results().map(r -> r.group(1)).toList();
    }

    private void mixedEnvelope(String name, String client, boolean pipelined, boolean bdat) throws Exception {
        InetAddress from = InetAddress.getByName(client);
        int before = delivered().size();
        try (ProxyHarness proxy = new ProxyHarness(dir.resolve(name + ".db"), postfix.server().address("plain"),
                SuspicionPolicy.NONE, RelaySettings.defaults("proxy.test").withRcptOrder(RcptOrder.UPSTREAM_FIRST),
                b -> { })) {
            MixedEnvelope.makePassKnown(proxy, from);
            List<String> replies = MixedEnvelope.send(proxy.address(), from, pipelined, bdat);
            assertTrue(replies.get(2).contains("User unknown in relay recipient table"), "Postfix's words: " + replies);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (delivered().size() == before && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(300); // a second recipient's line, had there been one, comes with the first
        assertEquals(List.of(MixedEnvelope.PASS), delivered().subList(before, delivered().size()),
                name + ": the message reached only pass@; Postfix's log:\n" + postfix.server().log());
        MixedEnvelope.assertNoRowForTheUnknownRecipient(dir.resolve(name + ".db"));
    }

    @Test
    void oneCommandAtATimeWithData() throws Exception {
        mixedEnvelope("data", "127.2.0.1", false, false);
    }

    @Test
    void pipelinedWithData() throws Exception {
        mixedEnvelope("pipelined-data", "127.2.1.1", true, false);
    }

    @Test
    void oneCommandAtATimeWithBdat() throws Exception {
        mixedEnvelope("bdat", "127.2.2.1", false, true);
    }

    /**
     * A bounce to an address Postfix does not know (backscatter of a forged sender, most often) is an upstream
     * refusal like a sender's typo, which this order forgives once: the client is marked {@code commanderrors} at its
     * second refusal, whoever the sender. The null sender's RCPT goes upstream undecided and was judged as any 5xx,
     * so its first refusal marked the client, and under {@code 5 b commanderrors} its message in the same session
     * waited five retries where a sender's typo cost nothing.
     */
    @Test
    void aBounceToAnUnknownAddressIsForgivenOnceAsASendersTypoIs() throws Exception {
        SuspicionFile rules = SuspicionFile.parse("test.suspicion", List.of("5 b commanderrors"), null);
        try (ProxyHarness proxy = new ProxyHarness(dir.resolve("bounce.db"), postfix.server().address("plain"), rules,
                RelaySettings.defaults("proxy.test").withRcptOrder(RcptOrder.UPSTREAM_FIRST), b -> { })) {
            assertTrue(retryAfterBounces(proxy, "127.2.4.1", MixedEnvelope.UNKNOWN).startsWith("250 "),
                    "one refusal is forgiven: N = 1, the retry passes");
            assertTrue(retryAfterBounces(proxy, "127.2.5.1", MixedEnvelope.UNKNOWN, "unknown2@example.com")
                    .startsWith("451 "), "two mark commanderrors: N = 5, the retry is refused again");
        }
    }

    /**
     * In one session: the null sender to {@code unknown} (each refused by Postfix), then a message to grey@
     * (greylisted), and its retry past the delay; returns the reply to the retry's RCPT.
     */
    private static String retryAfterBounces(ProxyHarness proxy, String client, String... unknown) throws Exception {
        try (RawClient c = new RawClient(proxy.address(), InetAddress.getByName(client)).hello()) {
            c.command("MAIL FROM:<>", 250);
            for (String u : unknown) {
                assertTrue(c.command("RCPT TO:<" + u + ">", 550).contains("User unknown"));
            }
            c.command("RSET", 250);
            c.command("MAIL FROM:<" + MixedEnvelope.SENDER + ">", 250);
            c.command("RCPT TO:<" + MixedEnvelope.GREY + ">", 451);
            c.command("RSET", 250);
            proxy.clock.advance(Duration.ofSeconds(301));
            return c.rcptThenQuit(MixedEnvelope.SENDER, MixedEnvelope.GREY);
        }
    }

    @Test
    void pipelinedWithBdat() throws Exception {
        mixedEnvelope("pipelined-bdat", "127.2.3.1", true, true);
        assertFalse(postfix.server().log().contains("to=<" + MixedEnvelope.GREY + ">, relay=none"),
                "no message ever went to the greylisted recipient");
    }
}
