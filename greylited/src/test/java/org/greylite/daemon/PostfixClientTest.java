package org.greylite.daemon;

import static org.greylite.testing.RelayedThroughGreylisting.assertGreylistedThenSent;
import static org.greylite.testing.RelayedThroughGreylisting.withoutTwoReceivedHeaders;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.daemon.tls.TestCertificates;
import org.greylite.testing.PostfixServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Postfix as the sending client, its queue delivering through greylited to a real Postfix upstream, as
 * an MX host's mail comes in: refused with greylited's {@code 451} at the first attempt, kept in Postfix's queue
 * (never bounced), retried by its queue manager and delivered byte for byte. Postfix's retries are shortened
 * (a queue run every second, a back-off of 2 to 3 s) and greylited's {@code --min-delay} is 2s, so a message passes
 * a few seconds after its first attempt. The suspicion file matches every client without a PTR name, 127.0.0.1
 * here, so the sending Postfix never goes on the auto-whitelist: each new triplet is greylisted once, whatever
 * ran before it.
 *
 * <p>Four greylited in front of the same upstream, chosen by the recipient's domain (the sending Postfix's
 * transport map): {@code dest.example} through a plain one, {@code tls.example} through one with a certificate
 * (the sending Postfix has {@code smtp_tls_security_level = may}), {@code down.example} through one whose upstream
 * does not listen, {@code first.example} through one that asks the upstream first ({@code --rcpt-order
 * upstream-first}). The sending Postfix caches its connections ({@code smtp_connection_cache_destinations}), as
 * a busy sender does, so a retry may come on a connection that was refused before.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PostfixClientTest {

    private static final String SUSPICIOUS_WITHOUT_PTR = "1 r ^$\n";

    @TempDir
    static Path dir;
    private static PostfixServer upstream;
    private static GreylitedProcess plain;
    private static GreylitedProcess tls;
    private static GreylitedProcess noUpstream;
    private static GreylitedProcess upstreamFirst;
    private static PostfixServer sender;

    @BeforeAll
    static void start() throws Exception {
        upstream = PostfixServer.in(dir.resolve("upstream"))
                .receivingInto(dir.resolve("delivered"))
                .main("smtpd_recipient_restrictions",
                        "check_recipient_access inline:{{unknown@dest.example=REJECT no such user},"
                                + "{unknown@first.example=REJECT no such user}}")
                .listener("smtp")
                .start();
        Path suspicion = Files.writeString(dir.resolve("suspicion"), SUSPICIOUS_WITHOUT_PTR);
        TestCertificates.Pem pem = TestCertificates.rsa(dir, "greylited");
        String[] common = {"--min-delay", "2s", "--suspicion", suspicion.toString(), "--hostname", "mx.test"};
        plain = GreylitedProcess.start(Files.createDirectories(dir.resolve("plain")), upstream.address("smtp"), common);
        tls = GreylitedProcess.command(upstream.address("smtp")).db(dir.resolve("tls.db")).args(common)
                .tls(pem).start();
        noUpstream = GreylitedProcess.start(Files.createDirectories(dir.resolve("down")),
                new InetSocketAddress("127.0.0.1", portNobodyListensOn()), common);
        upstreamFirst = GreylitedProcess.command(upstream.address("smtp")).db(dir.resolve("first.db")).args(common)
                .args("--rcpt-order", "upstream-first").start();
        sender = PostfixServer.in(dir.resolve("sender"))
                .sendingTo(plain.port)
                .main("transport_maps", "inline:{{tls.example=smtp:[127.0.0.1]:" + tls.port + "},"
                        + "{down.example=smtp:[127.0.0.1]:" + noUpstream.port + "},"
                        + "{first.example=smtp:[127.0.0.1]:" + upstreamFirst.port + "}}")
                .main("smtp_tls_security_level", "may")
                .main("smtp_tls_loglevel", "1")
                .main("smtp_connection_cache_destinations", "static:all")
                .main("smtp_connection_cache_time_limit", "10s")
                .listener("submission")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {sender, plain, tls, noUpstream, upstreamFirst, upstream}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static int portNobodyListensOn() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A message as a mail program writes it: every header Postfix would otherwise add is there already. */
    private static String message(String from, String to, String subject, String body) {
        return "From: " + from + "\n"
                + "To: " + to + "\n"
                + "Subject: " + subject + "\n"
                + "Message-ID: <" + subject.replace(' ', '-') + "@sender.example>\n"
                + "Date: Sat, 05 Dec 2026 07:00:00 +0000\n"
                + "MIME-Version: 1.0\n"
                + "Content-Type: text/plain; charset=UTF-8\n"
                + "Content-Transfer-Encoding: 8bit\n"
                + "\n"
                + body;
    }

    @Test
    void theFirstAttemptIsDeferredAndTheRetryDeliveredByteForByte() throws Exception {
        String text = message("Alice <alice@sender.example>", "Bob <bob@dest.example>", "first message",
                "Hello Bob,\n"
                + ".a line that begins with a dot\n"
                + "..and one with two\n"
                + ".\n"
                + "Grüße aus Köln, 8-bit as it was written \u2014 \uD83D\uDCE8\n"
                + "  indented, and trailing spaces   \n"
                + "\n"
                + "The end.\n");
        String id = sender.submit("submission", "alice@sender.example",
                List.of("postmaster@dest.example", "bob@dest.example", "carol@other.example"), text);

        String toBob = upstream.awaitDelivered("bob@dest.example");
        String toCarol = upstream.awaitDelivered("carol@other.example");
        String toPostmaster = upstream.awaitDelivered("postmaster@dest.example");
        sender.awaitLog(id + ": removed");
        for (String delivered : List.of(toBob, toCarol, toPostmaster)) {
            assertEquals(text, withoutTwoReceivedHeaders(delivered));
        }
        assertGreylistedThenSent(sender, "bob@dest.example", "RCPT TO");
        assertGreylistedThenSent(sender, "carol@other.example", "RCPT TO");
        List<String> postmaster = sender.deliveryLines("postmaster@dest.example");
        assertEquals(1, postmaster.size(), "postmaster@ is never greylisted: delivered at the first attempt, "
                + "the other recipients left for later: " + postmaster);
        assertTrue(postmaster.get(0).contains("status=sent"), postmaster.get(0));
        assertTrue(plain.logged("verdict=greylist reason=first-attempt client=127.0.0.1")
                && plain.logged("helo=sender.test from=<alice@sender.example> to=<bob@dest.example>"), "greylited's decision");
    }

    @Test
    void internationalisedAddressesAndTextPassAsTheyCame() throws Exception {
        String text = message("Jörg <jörg@bücher.example>", "<zoë@dest.example>", "smtputf8 message",
                "Grüße, Zoë.\n.\n");
        String id = sender.submit("submission", "jörg@bücher.example", List.of("zoë@dest.example"), text);

        assertEquals(text, withoutTwoReceivedHeaders(upstream.awaitDelivered("zoë@dest.example")));
        sender.awaitLog(id + ": removed");
        assertGreylistedThenSent(sender, "zoë@dest.example", "RCPT TO");
        assertTrue(plain.logged("from=<jörg@bücher.example> to=<zoë@dest.example>"), "the addresses as written");
    }

    @Test
    void aBounceFromPostfixItselfIsGreylistedAtDataThenDelivered() throws Exception {
        sender.submit("submission", "dave@sender.example", List.of("unknown@dest.example"),
                message("<dave@sender.example>", "<unknown@dest.example>", "to nobody", "Is anybody there?\n"));

        String bounce = upstream.awaitDelivered("dave@sender.example");
        assertTrue(bounce.contains("Undelivered Mail Returned to Sender")
                && bounce.contains("<unknown@dest.example>: host 127.0.0.1[127.0.0.1] said: 554 5.7.1"), bounce);
        assertGreylistedThenSent(sender, "dave@sender.example", "DATA");
        assertTrue(plain.logged("verdict=greylist reason=first-attempt client=127.0.0.1")
                && plain.logged("from=<> to=<dave@sender.example>"), "the null sender's recipient decided at DATA");
    }

    @Test
    void throughStartTlsThePipelinedDialogueIsGreylistedAndDelivered() throws Exception {
        String text = message("<erin@sender.example>", "<frank@tls.example>", "under tls", "Sealed.\n");
        String id = sender.submit("submission", "erin@sender.example", List.of("frank@tls.example"), text);

        assertEquals(text, withoutTwoReceivedHeaders(upstream.awaitDelivered("frank@tls.example")));
        sender.awaitLog(id + ": removed");
        assertGreylistedThenSent(sender, "frank@tls.example", "RCPT TO");
        assertTrue(sender.log().contains("TLS connection established to 127.0.0.1[127.0.0.1]:" + tls.port), sender.log());
        // The session end line, written by greylited's log thread in batches, may follow Postfix's own lines.
        tls.awaitLine("tls=yes", java.time.Duration.ofSeconds(10)); // greylited's session end line says so
    }

    @Test
    void retriesOnACachedConnectionAreDecidedAsOnANewOne() throws Exception {
        List<String> recipients = List.of("r1@dest.example", "r2@dest.example", "r3@dest.example");
        for (String r : recipients) {
            sender.submit("submission", "grace@sender.example", List.of(r),
                    message("<grace@sender.example>", "<" + r + ">", "reused " + r.charAt(1), "One of three.\n"));
        }
        for (String r : recipients) {
            upstream.awaitDelivered(r);
            sender.awaitLog("to=<" + r + ">, relay=127.0.0.1[127.0.0.1]:" + plain.port + ", ");
        }
        for (String r : recipients) {
            assertGreylistedThenSent(sender, r, "RCPT TO");
        }
        assertTrue(recipients.stream().flatMap(r -> sender.deliveryLines(r).stream()).anyMatch(l -> l.contains(", conn_use=")),
                "Postfix used a connection again (conn_use=N in its log): " + sender.log());
    }

    @Test
    void inTheUpstreamFirstOrderTheUpstreamsRefusalComesAtTheFirstAttemptAndTheRestOnce() throws Exception {
        String text = message("<judy@sender.example>", "<kim@first.example>", "upstream first", "Asked first.\n");
        String id = sender.submit("submission", "judy@sender.example",
                List.of("postmaster@first.example", "kim@first.example", "unknown@first.example"), text);

        assertEquals(text, withoutTwoReceivedHeaders(upstream.awaitDelivered("kim@first.example")));
        assertEquals(text, withoutTwoReceivedHeaders(upstream.awaitDelivered("postmaster@first.example")));
        sender.awaitLog(id + ": removed");
        assertGreylistedThenSent(sender, "kim@first.example", "RCPT TO");
        List<String> unknown = sender.deliveryLines("unknown@first.example");
        assertEquals(1, unknown.size(), "the upstream's own refusal, at the first attempt: " + unknown);
        assertTrue(unknown.get(0).contains("status=bounced (host 127.0.0.1[127.0.0.1] said: 554 5.7.1 "
                + "<unknown@first.example>: Recipient address rejected: no such user (in reply to RCPT TO command))"), unknown.get(0));
        List<String> postmaster = sender.deliveryLines("postmaster@first.example");
        assertEquals(1, postmaster.size(), postmaster.toString());
        assertTrue(postmaster.get(0).contains("status=sent"), postmaster.get(0));
        assertEquals(1, upstream.delivered("kim@first.example").size(), "the envelope made again without the "
                + "greylisted recipient delivered nothing twice");
        assertEquals(1, upstream.delivered("postmaster@first.example").size());
    }

    @Test
    void anUnreachableUpstreamDefersTheMailWithA421AndNothingBounces() throws Exception {
        String id = sender.submit("submission", "heidi@sender.example", List.of("ivan@down.example"),
                message("<heidi@sender.example>", "<ivan@down.example>", "nowhere", "Wait for it.\n"));

        String refused = "to=<ivan@down.example>, relay=127.0.0.1[127.0.0.1]:" + noUpstream.port;
        List<String> lines = sender.awaitDeliveryLines("ivan@down.example", 2);
        assertTrue(lines.size() >= 2, "tried again: " + sender.log());
        for (String l : lines) {
            assertTrue(l.contains(refused) && l.contains("status=deferred (host 127.0.0.1[127.0.0.1] refused to talk to me: "
                    + "421 4.3.0 mx.test service temporarily unavailable, closing connection)"), l);
        }
        assertTrue(sender.queue().contains(id), "still queued: " + sender.queue());
        noUpstream.awaitLine("upstream unreachable for client 127.0.0.1", java.time.Duration.ofSeconds(10)); // says why
    }
}
