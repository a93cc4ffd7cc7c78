package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * The null sender spelt otherwise than {@code <>}: Postfix takes {@code < >}, {@code <"">} and
 * {@code <@relay.example:>} as the null sender ({@code from=<>} in its log), and refuses them as a recipient. Read as
 * a sender {@code " "} or {@code ""}, greylited greylisted the recipients of such a bounce at RCPT, as a real
 * sender's, so that an address-verification probe so spelt was told to retry, and keyed {@code <"">} apart from
 * {@code <>}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NullSenderSpellingsTest {

    @TempDir
    static Path dir;

    @RegisterExtension
    static final PostfixPerClass postfix = new PostfixPerClass(p -> p.listener("plain"));

    private static ProxyHarness proxy(Path db) {
        return new ProxyHarness(db, postfix.server().address("plain"), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test"), b -> { });
    }

    @Test
    void aBounceSpeltOtherwiseIsDecidedAtDataAndKeyedAsTheNullSender() throws Exception {
        String[] spellings = {"MAIL FROM:< >", "MAIL FROM: < > SIZE=10", "MAIL FROM:<\"\">", "MAIL FROM:<\"\" >",
            "MAIL FROM:<@relay.example:>", "MAIL FROM:<@one.example,@two.example: \"\">"};
        for (int i = 0; i < spellings.length; i++) {
            Path db = dir.resolve("null-" + i + ".db");
            String rcpt = "grey" + i + "@example.com";
            try (ProxyHarness proxy = proxy(db);
                    RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.4.0." + (i + 1))).hello()) {
                c.command(spellings[i], 250);
                assertTrue(c.command("RCPT TO:<" + rcpt + ">", 250).startsWith("250 2.1.5"),
                        spellings[i] + ": a probe gets Postfix's own answer to its RCPT");
                String data = c.command("DATA", 451);
                assertTrue(data.startsWith("451 4.7.1 <" + rcpt + ">: greylisted"), spellings[i] + ": " + data);
                c.command("QUIT", 221);
            }
            String rows = GreydbDump.of(db);
            assertEquals(1, rows.lines().count(), spellings[i] + ": " + rows);
            assertTrue(rows.contains(" " + rcpt + " "), rows);
            assertTrue(rows.split(" ")[1].isEmpty(), spellings[i] + ": keyed as the null sender: " + rows);
        }
        assertFalse(postfix.server().log().contains("from=<\""), postfix.server().log());
    }

    @Test
    void aRecipientSpeltAsTheNullPathIsRefusedAndWritesNothing() throws Exception {
        Path db = dir.resolve("null-rcpt.db");
        try (ProxyHarness proxy = proxy(db);
                RawClient c = new RawClient(proxy.address(), InetAddress.getByName("127.4.1.1")).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            for (String path : new String[] {"<\"\">", "<@relay.example:>", "<@relay.example: \"\" >"}) {
                String reply = c.command("RCPT TO:" + path, 501);
                assertTrue(reply.startsWith("501 5.1.3"), path + ": " + reply);
            }
            c.command("QUIT", 221);
        }
        assertEquals("", GreydbDump.of(db));
    }
}
