package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.greylite.relay.RelaySettings;
import org.greylite.smtp.CommandDecoder;
import org.greylite.suspicion.RuleMatch;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.testing.Stall;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylited's behaviour seen from a client on a real socket, with a recording upstream on another:
 * SPEC §2 (the dialogue through the proxy) and §3 (the algorithm) end to end.
 */
class ProxyEndToEndTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;

    @BeforeEach
    void start() throws IOException {
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
    }

    private static String message(String subject) {
        return "From: a@example.org\r\nTo: b@example.com\r\nSubject: " + subject + "\r\n\r\nHello.\r\n";
    }

    /** One transaction; returns the RCPT reply. */
    private String attempt(RawClient c, String from, String to) throws IOException {
        c.command("MAIL FROM:<" + from + ">", 250);
        c.send("RCPT TO:<" + to + ">\r\n");
        return c.reply();
    }

    @Test
    void firstAttemptIsGreylistedAndTheRcptNeverReachesTheUpstream() throws IOException {
        try (RawClient c = proxy.client().hello()) {
            assertEquals("451 4.7.1 <b@example.com>: greylisted, please retry in 300 seconds", attempt(c, "a@example.org", "b@example.com"));
            c.command("QUIT", 221);
        }
        assertTrue(upstream.sawCommandStartingWith("MAIL FROM:<a@example.org>"));
        assertFalse(upstream.sawCommandStartingWith("RCPT"), "a greylisted RCPT must not be forwarded: " + upstream.commands);
    }

    @Test
    void thePostmasterQuotedOrBehindASourceRouteIsTheSameMailboxAndNotGreylisted() throws IOException {
        // RFC 5321 4.1.2 and C: the upstream delivers these to postmaster@example.com, who must always be reachable.
        try (RawClient c = proxy.client().hello()) {
            for (String postmaster : new String[] {"\"postmaster\"@example.com", "\"post\\master\"@example.com",
                    "@relay.example:postmaster@example.com", "@a.example,@b.example:\"Abuse\"@example.com"}) {
                assertEquals("250 2.1.5 ok", attempt(c, "a@example.org", postmaster), postmaster);
                c.command("RSET", 250);
            }
            // A quoted @ stays in the local part: this is not the postmaster of example.com.
            assertTrue(attempt(c, "a@example.org", "\"postmaster@victim.example\"@example.com").startsWith("451 4.7.1"));
            c.command("QUIT", 221);
        }
    }

    @Test
    void addressesTheProxyCannotReadNeverReachALenientUpstreamUndecided() throws IOException {
        // The scripted upstream takes any MAIL and RCPT, as qmail-smtpd takes "RCPT TO:<a" and "MAIL FROM <a>".
        try (RawClient c = proxy.client().hello()) {
            assertEquals("501 5.1.7 Bad sender address syntax", c.command("MAIL FROM:<spam@example.org", 501));
            assertEquals("503 5.5.1 Error: need MAIL command", c.command("RCPT TO:<b@example.com>", 503));
            c.command("MAIL FROM:<a@example.org>", 250);
            for (String unreadable : new String[] {"RCPT TO:<b@example.com", "RCPT <b@example.com>", "RCPT TO:",
                    // read by qmail-smtpd as RCPTs to b@example.com, by Postfix the comment one too
                    "RCPT TO:postmaster <b@example.com>", "RCPT TO:abuse@example.com <b@example.com>",
                    "RCPT TO:<(>)b@example.com>", "RCPT TO:<postmaster@x\\>b@example.com>",
                    // the null path is a sender's only: no recipient to greylist (Postfix answers 501 too)
                    "RCPT TO:<>", "RCPT TO:< >"}) {
                assertEquals("501 5.1.3 Bad recipient address syntax", c.command(unreadable, 501));
            }
            c.command("QUIT", 221);
        }
        assertFalse(upstream.sawCommandStartingWith("MAIL FROM:<spam"), upstream.commands.toString());
        assertFalse(upstream.sawCommandStartingWith("RCPT"), upstream.commands.toString());
    }

    @Test
    void noSecondTryInTheSameSessionReachesARecipientGreylistingRefused() throws IOException {
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<>", 250);
            c.command("RCPT TO:<b@example.com>", 250); // the null sender is decided at DATA
            assertTrue(c.command("DATA", 451).startsWith("451 4.7.1 <b@example.com>"));
            c.command("DATA", 451); // the upstream still holds the recipient: decided again, not sent on
            assertEquals("503 5.5.1 Error: nested MAIL command", c.command("MAIL FROM:<other@example.org>", 503));
            c.command("EHLO client.example", 250); // ends the transaction, at the upstream too
            c.command("QUIT", 221);
        }
        assertFalse(upstream.sawCommandStartingWith("DATA"), upstream.commands.toString());
        assertFalse(upstream.sawCommandStartingWith("MAIL FROM:<other"), upstream.commands.toString());
        assertTrue(upstream.sawCommandStartingWith("RSET"), upstream.commands.toString());
    }

    @Test
    void aClientThatHalfClosesAfterItsCommandsGetsEveryReplyThenTheEnd() throws IOException {
        try (RawClient c = proxy.client().hello()) {
            c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nNOOP\r\nQUIT\r\n");
            c.socket().shutdownOutput(); // as a script may: all it has to say is said
            assertTrue(c.reply().startsWith("250"), "MAIL");
            assertTrue(c.reply().startsWith("451 4.7.1 <b@example.com>"), "RCPT, decided");
            assertTrue(c.reply().startsWith("250"), "NOOP");
            assertTrue(c.reply().startsWith("221"), "QUIT");
            assertTrue(c.closedByServer());
        }
        try (RawClient c = proxy.client().hello()) {
            c.send("NOOP\r\n");
            c.socket().shutdownOutput(); // no QUIT: answered all the same, then the session ends
            assertTrue(c.reply().startsWith("250"), "NOOP");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void commandsSentBeforeTheGreetingByAClientThatThenHalfClosesAreAnsweredAfterIt() throws IOException {
        upstream.greetingDelayMillis = 300; // the client's commands and its end of input come first
        try (RawClient c = proxy.client()) {
            c.send("EHLO client.example\r\nNOOP\r\nQUIT\r\n");
            c.socket().shutdownOutput();
            c.expect(220);
            c.expect(250);
            c.expect(250);
            c.expect(221);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void earlyRetryIsRefusedAndARetryAfterTheDelayDeliversTheMessageByteForByte() throws IOException {
        try (RawClient c = proxy.client().hello()) {
            assertTrue(attempt(c, "a@example.org", "b@example.com").startsWith("451"));
        }
        proxy.clock.advance(Duration.ofSeconds(60));
        try (RawClient c = proxy.client().hello()) {
            assertTrue(attempt(c, "a@example.org", "b@example.com").startsWith("451"), "a retry within min-delay is refused");
        }
        proxy.clock.advance(Duration.ofSeconds(241)); // 301 s after the first attempt, 241 after the early retry
        byte[] body = tricky();
        try (RawClient c = proxy.client().hello()) {
            assertTrue(attempt(c, "A@Example.ORG", "B@example.com").startsWith("250"), "case does not make a new triplet");
            c.command("DATA", 354);
            c.send(body);
            c.expect(250);
            c.command("QUIT", 221);
        }
        assertEquals(1, upstream.messages.size());
        assertArrayEquals(body, upstream.messages.get(0), "the message must reach the upstream byte for byte");
    }

    /** Dot-stuffed lines, 8-bit bytes, a 998-byte line, a line that is only "..", then the terminator. */
    private static byte[] tricky() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(message("byte for byte").getBytes(StandardCharsets.ISO_8859_1));
        b.writeBytes("..leading dot, stuffed\r\n..\r\n".getBytes(StandardCharsets.ISO_8859_1));
        b.writeBytes("caf\u00e9 \u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 8-bit\r\n".getBytes(StandardCharsets.ISO_8859_1));
        byte[] high = new byte[256];
        for (int i = 0; i < 256; i++) {
            high[i] = (byte) (i == '\r' || i == '\n' ? 'x' : i);
        }
        b.writeBytes(high);
        b.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        byte[] longLine = new byte[998];
        Arrays.fill(longLine, (byte) 'L');
        b.writeBytes(longLine);
        b.writeBytes("\r\n.\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return b.toByteArray();
    }

    @Test
    void aPassedClientIsAutoWhitelistedForItsOtherTriplets() throws IOException {
        pass("a@example.org", "b@example.com");
        try (RawClient c = proxy.client().hello()) {
            assertTrue(attempt(c, "someone-else@example.net", "other@example.com").startsWith("250"),
                    "an auto-whitelisted client's new triplet passes at once");
        }
    }

    private void pass(String from, String to) throws IOException {
        try (RawClient c = proxy.client().hello()) {
            assertTrue(attempt(c, from, to).startsWith("451"));
        }
        proxy.clock.advance(Duration.ofMinutes(6));
        try (RawClient c = proxy.client().hello()) {
            assertTrue(attempt(c, from, to).startsWith("250"));
        }
    }

    @Test
    void aHeloTooLongForASuspicionPatternStillGetsItsRcptAnswered() throws IOException {
        proxy.close();
        // Searched for in a HELO of 1,990 labels (within the line limit), the repeated group ran the regular
        // expression engine out of stack on the decision's thread: the RCPT was never answered, nothing was logged.
        SuspicionFile rules = SuspicionFile.parse("test.suspicion",
                List.of("7 e h:^([a-z0-9-]+\\.)+[a-z]+$", "3 e s:@example\\.org$"), null);
        proxy = new ProxyHarness(dir.resolve("long-helo.db"), upstream.address(), rules,
                RelaySettings.defaults("proxy.test"), b -> { });
        for (int attempt = 1; attempt <= 2; attempt++) {
            try (RawClient c = proxy.client()) {
                c.expect(220);
                c.command("EHLO " + "a.".repeat(1990) + "com", 250);
                c.command("MAIL FROM:<a@example.org>", 250);
                // The line that cannot be evaluated is passed over; the next one gives N = 3, so the retry is
                // refused again.
                assertTrue(c.command("RCPT TO:<b@example.com>", 451).startsWith("451 4.7.1 <b@example.com>"));
            }
            proxy.clock.advance(Duration.ofMinutes(6));
        }
    }

    @Test
    void aTripletLetThroughAtOnceByASuspicionLineNeverWhitelistsTheClient() throws IOException {
        proxy.close();
        // A line on what the triplet does not hold (here the HELO): a partner's mail passes at once, and the client
        // stays suspicious.
        SuspicionFile rules = SuspicionFile.parse("test.suspicion", List.of("0 e h:^mx\\.accountant\\.example$"), null);
        proxy = new ProxyHarness(dir.resolve("no-delay.db"), upstream.address(), rules,
                RelaySettings.defaults("proxy.test"), b -> { });
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO mx.accountant.example", 250);
            assertTrue(attempt(c, "x@accountant.example", "boss@example.com").startsWith("250"), "N = 0");
        }
        // The same triplet, from a client the line does not match now.
        try (RawClient c = proxy.client().hello()) {
            assertTrue(attempt(c, "x@accountant.example", "boss@example.com").startsWith("250"),
                    "the triplet passed already");
        }
        try (RawClient c = proxy.client().hello()) {
            assertTrue(attempt(c, "spam@other.example", "anyone@example.com").startsWith("451 4.7.1 <anyone@example.com>"),
                    "a client that never waited is not on the auto-whitelist");
        }
    }

    /**
     * A tagged sender is keyed without its tag, an address in capitals of any script in lower case (the Kelvin sign
     * is a K): a line on the address as keyed holds for every spelling of it. Before, {@code evil+t@}, {@code JÖS@}
     * and {@code \u212Ailo@} passed after one refusal (the lines' patterns saw the address as written, folding ASCII
     * letters alone) and so earned the triplet the line asks 100 refusals for.
     */
    @Test
    void noSpellingOfAnAddressStepsRoundALineOnTheAddressItIsKeyedAs() throws IOException {
        proxy.close();
        SuspicionFile rules = SuspicionFile.parse("test.suspicion",
                List.of("100 e s:^evil@ r:^jös@ r:^kilo@", "1 r ^$"), null);
        proxy = new ProxyHarness(dir.resolve("spellings.db"), upstream.address(), rules,
                RelaySettings.defaults("proxy.test"), b -> { });
        List<List<String>> spellings = List.of(List.of("evil+t@x.example", "r1@y.example"),
                List.of("a@x.example", "JÖS@y.example"), List.of("a@x.example", "\u212Ailo@y.example"));
        for (int attempt = 1; attempt <= 2; attempt++) {
            for (List<String> envelope : spellings) {
                try (RawClient c = proxy.client().hello()) {
                    String reply = attempt(c, utf8(envelope.get(0)), utf8(envelope.get(1)));
                    assertTrue(reply.startsWith("451"), "attempt " + attempt + " of " + envelope + ": " + reply);
                }
            }
            proxy.clock.advance(Duration.ofMinutes(6));
        }
    }

    /** {@code text}'s UTF-8 bytes as RawClient sends them (a char a byte). */
    private static String utf8(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Test
    void pipelinedRepliesComeInCommandOrderWhoeverWroteThem() throws IOException {
        proxy.close();
        // A suspicious client is never whitelisted, so a passed triplet does not open the door for others.
        RuleMatch rule = new RuleMatch("test.suspicion", 1, "1 v SUSPECT");
        proxy = new ProxyHarness(dir.resolve("pipelined.db"), upstream.address(), f -> new Suspicion(1, rule),
                RelaySettings.defaults("proxy.test"), b -> { });
        pass("a@example.org", "known@example.com");
        try (RawClient c = proxy.client().hello()) {
            c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<known@example.com>\r\nRCPT TO:<new@example.com>\r\n"
                    + "RCPT TO:<reject-me@example.com>\r\nSTARTTLS\r\nNOOP\r\nRSET\r\n");
            c.expect(250); // MAIL, upstream
            assertTrue(c.reply().startsWith("250 2.1.5"), "known triplet: the upstream's reply");
            assertTrue(c.reply().startsWith("451 4.7.1 <new@example.com>"), "new triplet: the proxy's reply");
            // New as well: greylisted by the proxy before the upstream could refuse it.
            assertTrue(c.reply().startsWith("451 4.7.1 <reject-me@example.com>"));
            assertTrue(c.reply().startsWith("454"), "STARTTLS: the proxy's reply");
            c.expect(250); // NOOP, upstream
            c.expect(250); // RSET, upstream
        }
    }

    @Test
    void whitelistedClientsGetTheUpstreamsOwnRefusalsInOrder() throws IOException {
        pass("a@example.org", "b@example.com");
        try (RawClient c = proxy.client().hello()) {
            c.send("MAIL FROM:<x@example.org>\r\nRCPT TO:<reject-1@example.com>\r\nRCPT TO:<ok@example.com>\r\n"
                    + "XCLIENT ADDR=1.2.3.4\r\nRCPT TO:<reject-2@example.com>\r\nDATA\r\n");
            c.expect(250);
            assertTrue(c.reply().startsWith("550 5.1.1"));
            assertTrue(c.reply().startsWith("250 2.1.5"));
            assertTrue(c.reply().startsWith("550 5.7.1 XCLIENT"), "XCLIENT from a client is refused by the proxy");
            assertTrue(c.reply().startsWith("550 5.1.1"));
            c.expect(354);
            c.send(message("pipelined") + ".\r\n");
            c.expect(250);
        }
        assertFalse(upstream.sawCommandStartingWith("XCLIENT"));
    }

    @Test
    void ehloReplyHidesStartTlsAndXclientButKeepsChunkingAndBdatPassesExactly() throws IOException {
        pass("a@example.org", "b@example.com");
        try (RawClient c = proxy.client()) {
            c.expect(220);
            String ehlo = c.command("EHLO client.example", 250);
            assertFalse(ehlo.contains("STARTTLS"), ehlo);
            assertFalse(ehlo.contains("XCLIENT"), ehlo);
            assertTrue(ehlo.contains("CHUNKING"), ehlo);
            assertTrue(ehlo.endsWith("250 ENHANCEDSTATUSCODES"), ehlo);
            c.command("STARTTLS", 454);
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            byte[] first = "Subject: chunks\r\n\r\nDATA\r\n.\r\nQUIT\r\n".getBytes(StandardCharsets.ISO_8859_1);
            byte[] second = "RCPT TO:<smuggled@example.com>\r\n".getBytes(StandardCharsets.ISO_8859_1);
            c.send("BDAT " + first.length + "\r\n");
            c.send(first);
            c.expect(250);
            c.send("BDAT " + second.length + " LAST\r\n");
            c.send(second);
            c.expect(250);
            c.command("QUIT", 221);
            assertArrayEquals(first, upstream.messages.get(0));
            assertArrayEquals(second, upstream.messages.get(1));
            assertFalse(upstream.sawCommandStartingWith("RCPT TO:<smuggled"), "chunk text is never read as commands");
        }
    }

    @Test
    void authenticatedSessionsAreNotGreylisted() throws IOException {
        try (RawClient c = proxy.client().hello()) {
            c.command("AUTH PLAIN", 334);
            c.command(Base64.getEncoder().encodeToString("\0user\0secret".getBytes(StandardCharsets.UTF_8)), 235);
            assertTrue(attempt(c, "a@example.org", "fresh@example.com").startsWith("250"),
                    "after 235 the session is not greylisted");
        }
        try (RawClient c = proxy.client().hello()) {
            c.command("AUTH PLAIN " + Base64.getEncoder().encodeToString("\0user\0wrong".getBytes(StandardCharsets.UTF_8)), 535);
            assertTrue(attempt(c, "a@example.org", "fresh2@example.com").startsWith("451"),
                    "a failed AUTH changes nothing");
        }
    }

    @Test
    void aSaslResponseTooLongToTakeCancelsTheExchangeAtTheUpstream() throws IOException {
        char[] token = new char[CommandDecoder.MAX_SASL_LINE + 10];
        Arrays.fill(token, 'A');
        try (RawClient c = proxy.client().hello()) {
            c.command("AUTH PLAIN", 334);
            c.send(new String(token) + "\r\n");
            assertEquals("501 5.7.0 Authentication aborted", c.reply(), "the upstream's answer to the cancelled exchange");
            c.command("NOOP", 250); // a command again, at both ends
            assertTrue(attempt(c, "a@example.org", "fresh@example.com").startsWith("451"), "not authenticated");
            c.command("AUTH PLAIN", 334);
            c.send(new String(token)); // too long before its line end has come
            c.send("AAAA\r\n");
            assertEquals("501 5.7.0 Authentication aborted", c.reply());
            c.command("QUIT", 221);
        }
        assertEquals(List.of("EHLO client.example", "NOOP", "MAIL FROM:<a@example.org>", "QUIT"),
                upstream.commands.stream().filter(l -> !l.startsWith("AUTH")).toList(),
                "the token never reached the upstream, nor was a command taken for a SASL response");
    }

    @Test
    void overLongLinesAndBinaryGarbageGetA500AndTheSessionGoesOn() throws IOException {
        try (RawClient c = proxy.client().hello()) {
            char[] longArg = new char[5000];
            Arrays.fill(longArg, 'x');
            c.send("NOOP " + new String(longArg) + "\r\n");
            assertEquals("500 5.5.2 line too long", c.reply());
            c.send(new byte[] {'M', 'A', 'I', 'L', 0, 1, 2, (byte) 0xff, 27, '\r', '\n'});
            assertTrue(c.reply().startsWith("500 5.5.2 syntax error"));
            byte[] noise = new byte[20_000];
            new java.util.Random(7).nextBytes(noise);
            for (int i = 0; i < noise.length; i++) {
                if (noise[i] == '\n') {
                    noise[i] = 0; // one unterminated 20 kB line of binary junk
                }
            }
            c.send(noise).send("\r\n");
            assertEquals("500 5.5.2 line too long", c.reply());
            c.command("NOOP", 250);
            assertTrue(attempt(c, "a@example.org", "b@example.com").startsWith("451"));
        }
        assertFalse(upstream.commands.stream().anyMatch(l -> l.length() > 4096), "nothing over-long reached the upstream");
    }

    @Test
    void aClientVanishingMidDataLeavesNoPartialMessage() throws Exception {
        pass("a@example.org", "b@example.com");
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("DATA", 354);
            c.send(message("cut short") + "no terminator follows\r\n.");
        }
        waitFor(() -> upstream.abandonedMessages.get() == 1, "the upstream saw the connection end mid-message");
        assertEquals(0, upstream.messages.size(), "nothing partial was delivered");
    }

    @Test
    void aBareLfDotLineIsRefusedInsteadOfSmuggled() throws Exception {
        pass("a@example.org", "b@example.com");
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("DATA", 354);
            c.send("Subject: x\r\n\r\nhello\n.\nMAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.com>\r\n"
                    + "DATA\r\nsmuggled\r\n.\r\n");
            assertTrue(c.reply().startsWith("554 5.6.0"));
            assertTrue(c.closedByServer());
        }
        waitFor(() -> upstream.abandonedMessages.get() == 1, "the upstream connection was dropped mid-message");
        assertEquals(0, upstream.messages.size());
        assertFalse(upstream.sawCommandStartingWith("RCPT TO:<victim"));
    }

    @Test
    void aBareCrDotLineIsRefusedInsteadOfSmuggled() throws Exception {
        pass("a@example.org", "b@example.com");
        for (String form : new String[] {"\r.\r", "\r\n.\r", "\r.\r\n"}) {
            int abandoned = upstream.abandonedMessages.get();
            try (RawClient c = proxy.client().hello()) {
                c.command("MAIL FROM:<a@example.org>", 250);
                c.command("RCPT TO:<b@example.com>", 250);
                c.command("DATA", 354);
                c.send("Subject: x\r\n\r\nhello" + form + "RCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n.\r\n");
                assertTrue(c.reply().startsWith("554 5.6.0"), form);
                assertTrue(c.closedByServer());
            }
            waitFor(() -> upstream.abandonedMessages.get() == abandoned + 1, "the upstream connection was dropped");
        }
        assertEquals(0, upstream.messages.size());
        assertFalse(upstream.sawCommandStartingWith("RCPT TO:<victim"));
    }

    @Test
    void commandsEndedByABareLfReachTheUpstreamAsSeparateCommands() throws Exception {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.send("EHLO client.example\nMAIL FROM:<a@example.org>\nRSET\n");
            c.expect(250);
            c.expect(250);
            c.expect(250);
        }
        waitFor(() -> upstream.sawCommandStartingWith("RSET"), "the upstream read three commands");
        assertTrue(upstream.sawCommandStartingWith("MAIL FROM:<a@example.org>"));
        assertEquals(0, upstream.bareLfCommands.get(), "each went upstream ended by CRLF");
    }

    @Test
    void anUnreachableUpstreamGivesA421() throws IOException {
        proxy.close();
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        proxy = new ProxyHarness(dir.resolve("dead.db"), new InetSocketAddress("127.0.0.1", deadPort));
        try (RawClient c = proxy.client()) {
            assertTrue(c.reply().startsWith("421 4.3.0 proxy.test"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void anUpstreamDyingMidSessionGivesA421() throws IOException {
        pass("a@example.org", "b@example.com");
        upstream.dieAfterCommands = 2; // EHLO, MAIL, then it hangs up on the next command
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.send("RCPT TO:<b@example.com>\r\n");
            assertTrue(c.reply().startsWith("421 4.3.0"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void aMultiLineGreetingIsRelayedWhole() throws IOException {
        upstream.greeting = "220-upstream.test ESMTP\r\n220-no UCE\r\n220 welcome";
        try (RawClient c = proxy.client()) {
            assertEquals("220-upstream.test ESMTP\n220-no UCE\n220 welcome", c.reply());
            c.command("EHLO client.example", 250);
            assertTrue(attempt(c, "a@example.org", "b@example.com").startsWith("451"));
        }
    }

    @Test
    void aClientOnADnsWhitelistIsNotGreylisted() throws Exception {
        proxy.close();
        try (org.greylite.testing.Dnsmasq dns = org.greylite.testing.Dnsmasq.start()) {
            org.greylite.connect.DnswlLookup wl = org.greylite.connect.DnswlLookup.create(
                    java.util.List.of(org.greylite.connect.DnswlLookup.Zone.parse("wl.test=1")),
                    java.util.List.of(dns.address()), Duration.ofSeconds(2));
            proxy = new ProxyHarness(dir.resolve("dnswl.db"), upstream.address(), f -> Suspicion.NONE,
                    RelaySettings.defaults("proxy.test"), b -> b.dnswl(wl));
            try (RawClient c = proxy.client().hello()) {
                assertTrue(attempt(c, "a@example.org", "b@example.com").startsWith("250"), "127.0.0.1 is listed in wl.test");
            }
            assertTrue(upstream.sawCommandStartingWith("RCPT TO:<b@example.com>"));
        }
    }

    @Test
    void theUpstreamCanBeToldTheRealClientWithAProxyProtocolHeader() throws Exception {
        for (ProxyProtocolHeader.Version v : new ProxyProtocolHeader.Version[] {ProxyProtocolHeader.Version.V1,
            ProxyProtocolHeader.Version.V2}) {
            proxy.close();
            upstream.proxyHeaders.clear();
            upstream.expectProxyHeader = true;
            proxy = new ProxyHarness(dir.resolve(v + ".db"), upstream.address(), f -> Suspicion.NONE,
                    RelaySettings.defaults("proxy.test"), b -> b.upstreamProxyProtocol(v));
            int clientPort;
            try (RawClient c = proxy.client().hello()) {
                clientPort = c.socket().getLocalPort();
                assertTrue(attempt(c, "a@example.org", "b@example.com").startsWith("451"), "the dialogue goes on as usual");
            }
            byte[] header = upstream.proxyHeaders.get(0);
            int proxyPort = proxy.address().getPort();
            if (v == ProxyProtocolHeader.Version.V1) {
                assertEquals("PROXY TCP4 127.0.0.1 127.0.0.1 " + clientPort + " " + proxyPort + "\r\n",
                        new String(header, StandardCharsets.US_ASCII));
            } else {
                assertEquals(28, header.length);
                assertArrayEquals(ProxyProtocolHeader.V2_SIGNATURE, Arrays.copyOf(header, 12));
                assertArrayEquals(new byte[] {0x21, 0x11, 0, 12, 127, 0, 0, 1, 127, 0, 0, 1,
                    (byte) (clientPort >>> 8), (byte) clientPort, (byte) (proxyPort >>> 8), (byte) proxyPort},
                        Arrays.copyOfRange(header, 12, 28));
            }
        }
    }

    @Test
    void anIdleClientIsDroppedWith421() throws IOException {
        proxy.close();
        proxy = new ProxyHarness(dir.resolve("idle.db"), upstream.address(), f -> Suspicion.NONE,
                RelaySettings.defaults("proxy.test"), b -> b.idleTimeout(Duration.ofSeconds(1)));
        try (RawClient c = proxy.client().hello()) {
            assertTrue(c.reply().startsWith("421 4.4.2"), "idle client told why");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void aClientSilentInTheMiddleOfAChunkIsDroppedAsIdleNotBlamedOnTheUpstream() throws IOException {
        proxy.close();
        proxy = new ProxyHarness(dir.resolve("idle-chunk.db"), upstream.address(), f -> Suspicion.NONE,
                RelaySettings.defaults("proxy.test"),
                b -> b.idleTimeout(Duration.ofSeconds(1)).upstreamTimeout(Duration.ofSeconds(12)));
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<postmaster@example.com>", 250);
            c.send("BDAT 100 LAST\r\n0123456789"); // 90 bytes short, and then nothing
            long sent = System.nanoTime();
            String reply = c.reply();
            long waited = (System.nanoTime() - sent) / 1_000_000;
            // The upstream owes no reply before the chunk is whole: the one the session waits for is the client.
            // The timeouts lie far apart, so that a loaded machine does not take the one for the other.
            assertTrue(reply.startsWith("421 4.4.2"), reply);
            assertTrue(waited < 8000, "dropped at the idle timeout, not the upstream's: " + waited + " ms");
        }
    }

    @Test
    void theIdleTimeoutRunsFromTheProxysLastReplyNotFromTheClientsLastCommand() throws Exception {
        proxy.close();
        // A greeting delay longer than the idle timeout: the client, silent while it waits, is not idle.
        proxy = new ProxyHarness(dir.resolve("idle-wait.db"), upstream.address(), f -> Suspicion.NONE,
                RelaySettings.defaults("proxy.test").withGreetDelayMillis(3000), b -> b.idleTimeout(Duration.ofSeconds(2)));
        // Timed from before the connection: the proxy cannot greet before the delay is over, nor drop the client
        // before the idle timeout after that, however late this thread reads the replies.
        long connecting = System.nanoTime();
        try (RawClient c = proxy.client()) {
            c.expect(220);
            assertTrue(c.reply().startsWith("421 4.4.2"), "then idle");
            long afterConnecting = (System.nanoTime() - connecting) / 1_000_000;
            // Counted from the client's last byte (none: from the connection) it came 1 s after the greeting, 4 s
            // after the connection; from the greeting, 5 s after it.
            assertTrue(afterConnecting >= 4500, "the 421 came " + afterConnecting + " ms after the connection");
        }
    }

    @Test
    void theGreetingDelayOpensNoUpstreamConnectionAndMarksEarlyTalkers() throws Exception {
        proxy.close();
        RuleMatch rule = new RuleMatch("test.suspicion", 3, "100 b greetdelay");
        // An unmarked client is not greylisted at all: a 451 can only come from the mark.
        proxy = new ProxyHarness(dir.resolve("greet.db"), upstream.address(),
                f -> f.behaviours().contains(org.greylite.suspicion.Behaviour.GREETDELAY) ? new Suspicion(100, rule) : new Suspicion(0, null),
                RelaySettings.defaults("proxy.test").withGreetDelayMillis(1500), b -> { });
        try (RawClient early = proxy.client(); RawClient polite = proxy.client()) {
            early.send("EHLO impatient.example\r\n");
            Thread.sleep(700);
            assertEquals(0, upstream.connections.get(), "no upstream connection during the greeting delay");
            early.expect(220);
            early.expect(250);
            polite.hello();
            assertEquals(2, upstream.connections.get());
            early.command("MAIL FROM:<bot@example.net>", 250);
            early.send("RCPT TO:<b@example.com>\r\n");
            assertTrue(early.reply().startsWith("451"), "the early talker is marked");
            // Second, as its pass auto-whitelists 127.0.0.1, the early talker's address too.
            polite.command("MAIL FROM:<person@example.net>", 250);
            polite.send("RCPT TO:<b@example.com>\r\n");
            assertTrue(polite.reply().startsWith("250"), "the client that waited for the greeting is not");
        }
    }

    @Test
    void withoutAGreetingDelayNobodyIsMarkedForTalkingBeforeASlowUpstreamGreets() throws Exception {
        proxy.close();
        RuleMatch rule = new RuleMatch("test.suspicion", 3, "100 b greetdelay");
        // An unmarked client is not greylisted at all: a 451 could only come from the mark.
        proxy = new ProxyHarness(dir.resolve("no-delay.db"), upstream.address(),
                f -> f.behaviours().contains(org.greylite.suspicion.Behaviour.GREETDELAY) ? new Suspicion(100, rule) : new Suspicion(0, null),
                RelaySettings.defaults("proxy.test"), b -> { });
        upstream.greetingDelayMillis = 500; // at its process limit, say: the client's EHLO comes before its 220
        try (RawClient c = proxy.client()) {
            c.send("EHLO impatient.example\r\n");
            c.expect(220);
            c.expect(250);
            c.command("MAIL FROM:<bot@example.net>", 250);
            c.send("RCPT TO:<b@example.com>\r\n");
            assertTrue(c.reply().startsWith("250"), "no greeting delay, no greetdelay behaviour (README)");
        }
    }

    @Test
    void aClientThatDoesNotReadCannotMakeTheProxyBuffer() throws Exception {
        upstream.stallInData = true; // the upstream stops reading after 354
        pass("a@example.org", "b@example.com");
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("DATA", 354);
            c.socket().setSendBufferSize(64 * 1024);
            AtomicLong sent = new AtomicLong();
            // A write that fails (a proxy that resets the client) also stops the count: it must not pass for
            // back-pressure. The socket is closed at the end of the test, after this has been looked at.
            AtomicReference<IOException> failed = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                byte[] chunk = new byte[64 * 1024];
                Arrays.fill(chunk, (byte) 'a');
                try {
                    for (int i = 0; i < 1600; i++) { // 100 MB if nothing held it back
                        c.send(chunk);
                        sent.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    failed.set(e);
                }
            });
            writer.setDaemon(true);
            writer.start();
            Stall.Seen seen = Stall.await(sent::get, 32L * 1024 * 1024, Duration.ofSeconds(20));
            long b = seen.count();
            assertNull(failed.get(), "the proxy must keep the connection while it holds the client back");
            assertTrue(writer.isAlive(), "the writer is still blocked in a write");
            assertTrue(seen.stuck(), "the client's writes must be blocked by back-pressure");
            assertTrue(b < 32L * 1024 * 1024, "only socket buffers and the high-water mark may hold data: " + b);
        }
    }

    @Test
    void aRcptAfterAChunkCannotMakeTheProxyThrowAwayTheChunksAlreadyAccepted() throws IOException {
        proxy.close();
        proxy = new ProxyHarness(dir.resolve("rcpt-after-bdat.db"), upstream.address(), f -> Suspicion.NONE,
                RelaySettings.defaults("proxy.test").withRcptOrder(org.greylite.relay.RcptOrder.UPSTREAM_FIRST), b -> { });
        // The scripted upstream takes a RCPT between chunks (Postfix refuses it, "503 5.5.1 Error: RCPT after BDAT").
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<postmaster@example.com>", 250);
            c.send("BDAT 11\r\nfirst part\n");
            c.expect(250);
            // Greylisted after the upstream took it, it would have to leave the upstream's envelope: remade with
            // RSET, which would drop the first chunk, and the message delivered without it.
            assertEquals("503 5.5.1 Error: RCPT after BDAT", c.command("RCPT TO:<b@example.com>", 503));
            c.send("BDAT 11 LAST\r\nlast  part\n");
            c.expect(250);
            c.command("QUIT", 221);
        }
        assertFalse(upstream.sawCommandStartingWith("RSET"), upstream.commands.toString());
        assertFalse(upstream.sawCommandStartingWith("RCPT TO:<b@"), upstream.commands.toString());
    }

    /** A client that sends commands (EHLO here, with long replies: no junk limit) and never reads the replies. */
    private static Thread floodWithoutReading(java.net.Socket s) {
        Thread writer = new Thread(() -> {
            byte[] noops = "EHLO client.example\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            try {
                for (int i = 0; i < 40; i++) { // replies of some 8 MB: more than the buffers on the way hold
                    s.getOutputStream().write(noops);
                }
            } catch (IOException e) {
                // the proxy closed the connection
            }
        });
        writer.setDaemon(true);
        writer.start();
        return writer;
    }

    @Test
    void theConnectionOfAClientThatDoesNotReadEndsWithItsSession() throws Exception {
        proxy.close();
        proxy = new ProxyHarness(dir.resolve("no-reader.db"), upstream.address(), f -> Suspicion.NONE,
                RelaySettings.defaults("proxy.test").withJunkCommandLimit(0),
                b -> b.idleTimeout(Duration.ofSeconds(1)).upstreamTimeout(Duration.ofSeconds(2)));
        try (java.net.Socket s = new java.net.Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(proxy.address());
            waitFor(() -> proxy.server.activeSessions() == 1, "the session began");
            floodWithoutReading(s);
            long start = System.nanoTime();
            // The replies it does not read would wait for it for ever: the session ends, and the connection with it,
            // or it holds a descriptor and the replies queued for it past every connection limit. Most of the wait is
            // the proxy relaying the EHLOs its buffers take in (about 6 s on a quiet machine): the bound is generous.
            while (proxy.server.activeSessions() > 0 && System.nanoTime() - start < 30_000_000_000L) {
                Thread.sleep(20);
            }
            long took = (System.nanoTime() - start) / 1_000_000;
            assertEquals(0, proxy.server.activeSessions(), "still open after " + took + " ms");
        }
    }

    @Test
    void anUpstreamThatStopsReadingAMessageIsTheOneBlamedNotTheClientItHoldsBack() throws Exception {
        proxy.close();
        proxy = new ProxyHarness(dir.resolve("stalled.db"), upstream.address(), f -> Suspicion.NONE,
                RelaySettings.defaults("proxy.test"),
                b -> b.idleTimeout(Duration.ofSeconds(1)).upstreamTimeout(Duration.ofSeconds(3)));
        upstream.stallInData = true; // a content filter that hangs, a full disk: the upstream stops reading
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<postmaster@example.com>", 250);
            c.command("DATA", 354);
            Thread writer = new Thread(() -> {
                byte[] chunk = new byte[64 * 1024];
                Arrays.fill(chunk, (byte) 'a');
                try {
                    for (int i = 0; i < 1600; i++) { // far more than the buffers on the way hold
                        c.send(chunk);
                    }
                } catch (IOException e) {
                    // the proxy closed the connection: the reply says why
                }
            });
            writer.setDaemon(true);
            long start = System.nanoTime(); // before the writer: the upstream cannot stall on what was not sent yet
            writer.start();
            String reply = c.reply();
            long waited = (System.nanoTime() - start) / 1_000_000;
            // The client was sending all along, held back by the proxy: not idle. The upstream timeout ends it.
            assertTrue(reply.startsWith("421 4.3.0"), reply);
            assertTrue(waited >= 2500, "at the upstream's timeout, not the client's idle one: " + waited + " ms");
        }
    }

    @Test
    void aLargeMessageToAnUpstreamThatReadsLateArrivesWhole() throws Exception {
        // The proxy's first writes fill the socket; the rest waits in MINA's queue until the upstream reads, and
        // every later write must queue behind it: the message arrives whole and in order.
        upstream.readDelayInDataMillis = 1500;
        pass("a@example.org", "b@example.com");
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        java.util.Random random = new java.util.Random(42);
        byte[] line = new byte[900];
        for (int i = 0; i < 9000; i++) { // about 8 MB, in lines the client sends one by one
            for (int j = 0; j < line.length; j++) {
                line[j] = (byte) ('a' + random.nextInt(26));
            }
            if (i % 7 == 0) {
                line[0] = '.';
                line[1] = '.'; // a dot-stuffed line
            }
            m.writeBytes(line);
            m.writeBytes(new byte[] {'\r', '\n'});
        }
        m.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] body = m.toByteArray();
        try (RawClient c = proxy.client().hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<b@example.com>", 250);
            c.command("DATA", 354);
            for (int off = 0; off < body.length; off += 902) {
                c.send(Arrays.copyOfRange(body, off, Math.min(body.length, off + 902)));
            }
            c.expect(250);
            c.command("QUIT", 221);
        }
        assertEquals(1, upstream.messages.size());
        assertArrayEquals(body, upstream.messages.get(0), "the message must reach the upstream byte for byte");
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
