package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.GreydbDump;
import org.greylite.testing.PostfixPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client pipelines its transaction (RFC 2920: MAIL, RCPT, DATA in one batch), and the upstream refuses the MAIL,
 * or answers it 421 and closes. greylited decided the RCPT as it came, before that reply: it wrote a triplet for a
 * transaction the upstream never held, which counted as the first attempt of a message never offered, and gave the
 * client a greylisting reply where the upstream would have said it holds no sender. The RCPT now waits for the
 * MAIL's reply.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PipelinedRcptAfterRefusedMailTest {

    @TempDir
    static Path dir;

    /** Postfix judges the sender at MAIL FROM (smtpd_delay_reject=no): it refuses one and closes on another. */
    @RegisterExtension
    static final PostfixPerClass postfix = new PostfixPerClass(p -> p
            .main("smtpd_delay_reject", "no")
            .main("smtpd_sender_restrictions", "check_sender_access texthash:$config_directory/senders")
            .file("senders", "refused@example.org 550 5.7.1 sender refused\n"
                    + "closing@example.org 421 4.7.0 closing now\n")
            .listener("plain"));

    private static ProxyHarness proxy(Path db) {
        return new ProxyHarness(db, postfix.server().address("plain"), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test"), b -> { });
    }

    @Test
    void aRecipientBehindARefusedMailIsNotDecided() throws Exception {
        Path db = dir.resolve("refused.db");
        // Postfix takes a TAB after the verb as a space, and so does greylited.
        for (String rcptVerb : new String[] {"RCPT TO:", "RCPT\tTO:", "rcpt to:"}) {
            try (ProxyHarness proxy = proxy(db);
                    RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.5.0.1")).hello()) {
                c.send("MAIL FROM:<refused@example.org>\r\n" + rcptVerb + "<grey@example.com>\r\nDATA\r\n");
                assertTrue(c.reply().startsWith("550 5.7.1"), "Postfix's refusal of the sender");
                String rcpt = c.reply();
                assertEquals("503 5.5.1 Error: need MAIL command", rcpt, rcptVerb + ": no sender, nothing to decide");
                assertTrue(c.reply().startsWith("503 5.5.1"), "Postfix's answer to the DATA");
                c.command("QUIT", 221);
            }
            assertEquals("", GreydbDump.of(db), rcptVerb + ": no triplet for a transaction that never was");
        }
    }

    @Test
    void aRecipientBehindAMailAnswered421IsNotDecided() throws Exception {
        Path db = dir.resolve("closing.db");
        try (ProxyHarness proxy = proxy(db);
                RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.5.1.1")).hello()) {
            c.send("MAIL FROM:<closing@example.org>\r\nRCPT TO:<grey@example.com>\r\nDATA\r\n");
            assertTrue(c.reply().startsWith("421 4.7.0"), "Postfix's 421");
            assertTrue(c.closedByServer(), "the session ends with the upstream's");
        }
        assertEquals("", GreydbDump.of(db), "no triplet for a transaction that never was");
    }

    @Test
    void aRecipientBehindAnAcceptedMailIsDecidedAsBefore() throws Exception {
        Path db = dir.resolve("accepted.db");
        try (ProxyHarness proxy = proxy(db);
                RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.5.2.1")).hello()) {
            c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<grey@example.com>\r\nDATA\r\n");
            assertTrue(c.reply().startsWith("250"));
            assertTrue(c.reply().startsWith("451 4.7.1 <grey@example.com>: greylisted"));
            assertTrue(c.reply().startsWith("554 5.5.1"), "Postfix: no valid recipients");
            c.command("QUIT", 221);
        }
        assertTrue(GreydbDump.of(db).contains(" a@example.org grey@example.com 1 "), GreydbDump.of(db));
    }
}
