package org.greylite.it;

import static org.greylite.testing.RelayedThroughGreylisting.assertGreylistedThenSent;
import static org.greylite.testing.RelayedThroughGreylisting.withoutTwoReceivedHeaders;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.FreePort;
import org.greylite.testing.PostfixServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Postfix as the sending client of the wrapper under the real tcpserver:
 * {@code Postfix (smtp) -> tcpserver -> greylite -> ucspi2socket -> Postfix (smtpd)}. Its queue retries within
 * seconds (a queue run every second, a back-off of 2 to 3 s) and {@code GREYLITE_MIN_DELAY} is 2s, so a message
 * passes a few seconds after its first attempt. The suspicion file matches every client without a PTR name
 * (127.0.0.1 here), so the sender never goes on the auto-whitelist: each new triplet is greylisted once.
 * Mail for {@code down.example} goes through a second tcpserver whose ucspi2socket finds nothing listening.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PostfixClientUnderTcpserverTest {

    @TempDir
    static Path dir;
    private static PostfixServer upstream;
    private static Tcpserver wrapper;
    private static Tcpserver noUpstream;
    private static PostfixServer sender;

    @BeforeAll
    static void start() throws Exception {
        upstream = PostfixServer.in(dir.resolve("upstream"))
                .receivingInto(dir.resolve("delivered"))
                .main("smtpd_recipient_restrictions",
                        "check_recipient_access inline:{{unknown@dest.example=REJECT no such user}}")
                .listener("smtp")
                .start();
        Path suspicion = Files.writeString(dir.resolve("suspicion"), "1 r ^$\n");
        Map<String, String> env = Map.of("GREYLIST", "", "DBFILE", dir.resolve("greylite.db").toString(),
                "GREYLITE_MIN_DELAY", "2s", "SUSPICION", suspicion.toString(), "LOGTHRESHOLD", "6");
        wrapper = Tcpserver.start(chain(upstream.port("smtp")), env);
        noUpstream = Tcpserver.start(chain(FreePort.loopback()), env);
        sender = PostfixServer.in(dir.resolve("sender"))
                .sendingTo(wrapper.port())
                .main("transport_maps", "inline:{{down.example=smtp:[127.0.0.1]:" + noUpstream.port() + "}}")
                .main("smtp_connection_cache_destinations", "static:all")
                .listener("submission")
                .start();
    }

    private static List<String> chain(int upstreamPort) {
        return List.of(Launchers.bin("greylite"), Launchers.bin("ucspi2socket"), "127.0.0.1", Integer.toString(upstreamPort));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {sender, wrapper, noUpstream, upstream}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void theFirstAttemptIsDeferredTheRetryDeliveredByteForByteAndABounceWaitsForData() throws Exception {
        String text = "From: Alice <alice@sender.example>\n"
                + "To: Bob <bob@dest.example>\n"
                + "Subject: through the wrapper\n"
                + "Message-ID: <wrapper@sender.example>\n"
                + "Date: Sat, 05 Dec 2026 07:00:00 +0000\n"
                + "MIME-Version: 1.0\n"
                + "Content-Type: text/plain; charset=UTF-8\n"
                + "Content-Transfer-Encoding: 8bit\n"
                + "\n"
                + "Hello Bob,\n.\n..two dots\nGrüße \u2014 8-bit.\n";
        String id = sender.submit("submission", "alice@sender.example",
                List.of("postmaster@dest.example", "bob@dest.example", "unknown@dest.example"), text);

        assertEquals(text, withoutTwoReceivedHeaders(upstream.awaitDelivered("bob@dest.example")));
        assertEquals(text, withoutTwoReceivedHeaders(upstream.awaitDelivered("postmaster@dest.example")));
        String bounce = upstream.awaitDelivered("alice@sender.example");
        assertTrue(bounce.contains("<unknown@dest.example>: host 127.0.0.1[127.0.0.1] said: 554 5.7.1"), bounce);
        sender.awaitLog(id + ": removed");

        assertGreylistedThenSent(sender, "bob@dest.example", "RCPT TO");
        assertEquals(1, sender.deliveryLines("postmaster@dest.example").size(), "postmaster@ at the first attempt");
        assertGreylistedThenSent(sender, "alice@sender.example", "DATA");
        assertTrue(wrapper.awaitLine(l -> l.contains("verdict=greylist reason=first-attempt")
                && l.contains("from=<> to=<alice@sender.example>"), Duration.ofSeconds(5)) != null, "the bounce decided at DATA");
    }

    @Test
    void anUnreachableUpstreamDefersTheMailWithA421NamingThisHost() throws Exception {
        String id = sender.submit("submission", "heidi@sender.example", List.of("ivan@down.example"),
                "Subject: nowhere\n\nWait for it.\n");

        List<String> lines = sender.awaitDeliveryLines("ivan@down.example", 2);
        assertTrue(lines.size() >= 2, "tried again: " + sender.log());
        // tcpserver -l0 (the tests' and many run scripts' choice) sets TCPLOCALHOST=0, which names no host
        String host = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).trim();
        for (String l : lines) {
            assertTrue(l.contains("status=deferred (host 127.0.0.1[127.0.0.1] refused to talk to me: 421 4.3.0 "
                    + host + " service temporarily unavailable, closing connection)"), l);
        }
        assertTrue(sender.queue().contains(id), "still queued: " + sender.queue());
    }
}
