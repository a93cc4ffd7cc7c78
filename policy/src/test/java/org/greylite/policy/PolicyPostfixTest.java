package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.PostfixServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Postfix asks greylite-policy, as main.cf would ({@code check_policy_service inet:127.0.0.1:PORT} after
 * {@code reject_unauth_destination}; the null sender at DATA): a first attempt gets 450, a retry after the
 * delay ({@code --delay=2}) gets 250 and the message is queued.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PolicyPostfixTest {

    /** Longer than the --delay given below and the second a refusal is rounded up to, with room for a loaded machine. */
    private static final long RETRY_AFTER_MS = 4_500;

    /** Another /24 than the first test's client, whose pass put 127.0.0.0/24 on the auto-whitelist. */
    private static final String NULL_SENDER_CLIENT = "127.1.0.3";

    /** A /24 of its own again, for the client whose envelope holds control characters. */
    private static final String CONTROL_CHARACTERS_CLIENT = "127.2.0.4";

    @TempDir
    static Path dir;
    private static RunningPolicy policy;
    private static PostfixServer postfix;

    @BeforeAll
    static void start() throws Exception {
        policy = TestPolicy.start(dir, "--delay=2");
        String service = "check_policy_service inet:127.0.0.1:" + policy.tcpAddress().getPort();
        postfix = PostfixServer.in(dir.resolve("postfix"))
                .main("smtpd_recipient_restrictions", "reject_unauth_destination, " + service)
                .main("smtpd_data_restrictions", service)
                .listener("smtp")
                .start();
    }

    @AfterAll
    static void stop() {
        if (postfix != null) {
            postfix.close();
        }
        if (policy != null) {
            policy.close();
        }
    }

    @Test
    void firstAttemptIsDeferredAndTheRetryAfterTheDelayIsDelivered() throws Exception {
        try (SmtpDialogue c = new SmtpDialogue(postfix.address("smtp"), "127.0.0.1")) {
            c.reply();
            c.command("EHLO sender.example");
            c.command("MAIL FROM:<someone@sender.example>");
            String rcpt = c.command("RCPT TO:<user@example.org>");
            assertTrue(rcpt.matches("(?s)45[01] 4\\.7\\.1 .*Greylisted, please retry in [1-3] seconds.*"), rcpt);
        }
        Thread.sleep(RETRY_AFTER_MS);
        try (SmtpDialogue c = new SmtpDialogue(postfix.address("smtp"), "127.0.0.1")) {
            c.reply();
            c.command("EHLO sender.example");
            c.command("MAIL FROM:<someone@sender.example>");
            String rcpt = c.command("RCPT TO:<user@example.org>");
            assertTrue(rcpt.startsWith("250"), rcpt);
            assertTrue(c.command("DATA").startsWith("354"));
            String queued = c.command("Subject: greylisted once\r\n\r\nHello.\r\n.");
            assertTrue(queued.startsWith("250") && queued.contains("queued as"), queued);
        }
        postfix.awaitLog("to=<user@example.org>");
    }

    @Test
    void theNullSenderIsDeferredAtDataNotAtRcpt() throws Exception {
        try (SmtpDialogue c = new SmtpDialogue(postfix.address("smtp"), NULL_SENDER_CLIENT)) {
            c.reply();
            c.command("EHLO bounces.example");
            c.command("MAIL FROM:<>");
            String rcpt = c.command("RCPT TO:<probe@example.net>");
            assertTrue(rcpt.startsWith("250"), "an address-verification probe gets the real answer: " + rcpt);
            String data = c.command("DATA");
            assertTrue(data.matches("(?s)45[01] 4\\.7\\.1 .*Greylisted.*"), data);
        }
        Thread.sleep(RETRY_AFTER_MS);
        try (SmtpDialogue c = new SmtpDialogue(postfix.address("smtp"), NULL_SENDER_CLIENT)) {
            c.reply();
            c.command("EHLO bounces.example");
            c.command("MAIL FROM:<>");
            assertTrue(c.command("RCPT TO:<probe@example.net>").startsWith("250"));
            String data = c.command("DATA");
            assertTrue(data.startsWith("354"), data);
            String queued = c.command("Subject: a bounce\r\n\r\nIt bounced.\r\n.");
            assertTrue(queued.startsWith("250"), queued);
        }
    }

    /**
     * Postfix passes a client's control characters in the envelope on to the policy service as they came (it
     * refuses only CR and LF there): such a request is Postfix's, and is decided as any other. Taken for a broken
     * protocol, it closed the connection unanswered, Postfix told the client '451 4.3.5 Server configuration
     * problem' and logged the service as broken.
     */
    @Test
    void anEnvelopeWithControlCharactersIsGreylistedAsAnyOther() throws Exception {
        try (SmtpDialogue c = new SmtpDialogue(postfix.address("smtp"), CONTROL_CHARACTERS_CLIENT)) {
            c.reply();
            c.command("EHLO sender.example");
            assertTrue(c.command("MAIL FROM:<some\u0001one@sender.example>").startsWith("250"));
            String rcpt = c.command("RCPT TO:<us\u001ber\u007f@example.org>");
            assertTrue(rcpt.matches("(?s)45[01] 4\\.7\\.1 .*Greylisted, please retry in .*"), rcpt);
        }
    }
}
