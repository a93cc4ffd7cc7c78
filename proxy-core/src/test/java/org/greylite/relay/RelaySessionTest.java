package org.greylite.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.smtp.ProxyV2Signature;
import org.greylite.smtp.Reply;
import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.ClientFacts;
import org.junit.jupiter.api.Test;

/** The relay state machine of SPEC §2, driven through a fake transport. */
class RelaySessionTest {

    private static final String GREETING = "220 mx.example.org ESMTP\r\n";
    private static final String EHLO_REPLY = "250-mx.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n";
    private static final String GREYLISTED = "451 4.7.1 <grey@y>: greylisted, please retry in 300 seconds\r\n";
    private static final String UNAVAILABLE =
            "421 4.3.0 proxy.example.org service temporarily unavailable, closing connection\r\n";

    private FakeTransport t = new FakeTransport();
    private FakePolicy policy = new FakePolicy();
    private RelaySession session;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static SessionInfo info(Map<String, String> variables, boolean greylisting) {
        try {
            return new SessionInfo(InetAddress.getByName("192.0.2.7"), "client.example.net", variables, greylisting);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static RelaySettings settings() {
        return RelaySettings.defaults("proxy.example.org");
    }

    private void client(String s) {
        session.onClientData(ByteBuffer.wrap(bytes(s)));
    }

    private void clientBytes(byte[] b) {
        session.onClientData(ByteBuffer.wrap(b));
    }

    private void upstream(String s) {
        FakeTransport.repliesOneByOne(session, s);
    }

    /** A new session with the given settings, not yet started. */
    private RelaySession create(RelaySettings settings, SessionInfo info) {
        t = new FakeTransport();
        policy = new FakePolicy();
        session = new RelaySession(t, policy, settings, info);
        return session;
    }

    /** A session past the greeting and EHLO, with the transport's record cleared. */
    private void opened() {
        opened(settings(), info(Map.of(), true));
    }

    private void opened(RelaySettings settings, SessionInfo info) {
        create(settings, info);
        session.start();
        session.onUpstreamConnected();
        upstream(GREETING);
        client("EHLO client.example.net\r\n");
        upstream(EHLO_REPLY);
        assertEquals(GREETING + EHLO_REPLY, t.clientText());
        assertEquals("EHLO client.example.net\r\n", t.upstreamText());
        t.clear();
    }

    // ---------------------------------------------------------------- the ordinary dialogue

    @Test
    void greetingAndCommandsAreRelayedUntouched() {
        create(settings(), info(Map.of(), true));
        session.start();
        assertEquals(1, t.connects);
        upstream("220-mx.example.org ESMTP\r\n220 second greeting line\r\n");
        client("HELO client.example.net\r\n");
        upstream("250 mx.example.org\r\n");
        client("NOOP\r\nVRFY someone\r\nHELP\r\n");
        upstream("250 ok\r\n252 maybe\r\n214 help\r\n");
        client("QUIT\r\n");
        assertFalse(t.clientClosed);
        upstream("221 bye\r\n");
        assertEquals("220-mx.example.org ESMTP\r\n220 second greeting line\r\n250 mx.example.org\r\n250 ok\r\n252 maybe\r\n"
                + "214 help\r\n221 bye\r\n", t.clientText());
        assertEquals("HELO client.example.net\r\nNOOP\r\nVRFY someone\r\nHELP\r\nQUIT\r\n", t.upstreamText());
        assertTrue(t.clientClosed);
        assertEquals(List.of(false), t.upstreamCloses);
        assertTrue(session.isClosed());
    }

    @Test
    void aGreylistedRecipientBetweenForwardedCommandsKeepsTheReplyOrder() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nRCPT TO:<grey@y>\r\nRCPT TO:<ok2@y>\r\nDATA\r\n");
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText(), "the RCPTs wait for the MAIL's reply");
        upstream("250 2.1.0 ok\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nRCPT TO:<ok2@y>\r\nDATA\r\n", t.upstreamText());
        assertEquals(List.of(250), t.clientCodes(), "the 451 waits for the replies of the commands before it");
        upstream("250 2.1.5 ok\r\n");
        assertEquals("250 2.1.0 ok\r\n250 2.1.5 ok\r\n" + GREYLISTED, t.clientText());
        upstream("250 2.1.5 ok\r\n354 go ahead\r\n");
        assertEquals(List.of(250, 250, 451, 250, 354), t.clientCodes());
        assertEquals(List.of("ok@y", "grey@y", "ok2@y"), policy.recipients());
    }

    @Test
    void replyOrderHoldsWhereverTheInputIsCut() {
        String commands = "MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nRCPT TO:<grey@y>\r\nRCPT TO:<ok2@y>\r\nDATA\r\n";
        String[] replies = {"250 ok\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n"};
        String forwarded = "MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nRCPT TO:<ok2@y>\r\nDATA\r\n";
        for (int i = 0; i <= commands.length(); i++) {
            opened();
            client(commands.substring(0, i));
            // The upstream answers what it has received so far, then the rest arrives.
            int answered = t.upstreamText().split("\n", -1).length - 1;
            for (int k = 0; k < answered; k++) {
                upstream(replies[k]);
            }
            client(commands.substring(i));
            for (int k = answered; k < replies.length; k++) {
                upstream(replies[k]);
            }
            String where = "commands cut at " + i;
            assertEquals(List.of(250, 250, 451, 250, 354), t.clientCodes(), where);
            assertEquals(forwarded, t.upstreamText(), where);
        }
        String allReplies = String.join("", replies);
        for (int j = 0; j <= allReplies.length(); j++) {
            opened();
            client(commands);
            upstream(allReplies.substring(0, j));
            upstream(allReplies.substring(j));
            assertEquals(List.of(250, 250, 451, 250, 354), t.clientCodes(), "replies cut at " + j);
        }
    }

    @Test
    void aDeferredDecisionHoldsTheCommandsAfterIt() {
        opened();
        policy.defer = true;
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText());
        assertEquals(0, policy.outstanding(), "the RCPT waits for the MAIL's reply");
        upstream("250 ok\r\n");
        assertEquals(1, policy.outstanding());
        assertEquals("250 ok\r\n", t.clientText());

        policy.completeNext(); // grey@y: refused
        assertEquals("250 ok\r\n" + GREYLISTED, t.clientText());
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText(), "the next RCPT waits for its own decision");
        assertEquals(1, policy.outstanding());

        // More input while a decision is outstanding is queued too. After the DATA it is message text: a RCPT
        // line, so that reading it as a command would show (the policy asked, the line held back).
        client("RCPT TO:<grey2@y>\r\n");
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText());

        policy.completeNext(); // ok@y: accepted
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n", t.upstreamText());
        upstream("250 ok\r\n354 go\r\n");
        assertEquals(List.of(250, 451, 250, 354), t.clientCodes());
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\nRCPT TO:<grey2@y>\r\n", t.upstreamText(),
                "the queued line went to the upstream as message text after the 354");
        assertEquals(List.of("grey@y", "ok@y"), policy.recipients(), "the queued line was not read as a command");
    }

    @Test
    void aDecisionArrivingAfterTheClientLeftIsDropped() {
        opened();
        policy.defer = true;
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\n");
        upstream("250 ok\r\n");
        session.onClientClosed();
        policy.completeNext();
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText());
        assertEquals("250 ok\r\n", t.clientText(), "the MAIL's reply only, written before the client left");
    }

    @Test
    void theFactsOfARcptDescribeTheSession() {
        opened();
        client("MAIL FROM:<Alice@Example.NET> SIZE=100\r\nRCPT TO:<bob@example.org> NOTIFY=NEVER\r\n");
        upstream("250 ok\r\n");
        RcptRequest r = policy.requests.get(0);
        assertNull(r.skip());
        assertEquals("192.0.2.7", r.client().getHostAddress());
        ClientFacts f = r.facts();
        assertEquals("192.0.2.7", f.address());
        assertEquals("client.example.net", f.ptrName());
        assertEquals("client.example.net", f.helo());
        assertEquals("Alice@Example.NET", f.sender());
        assertEquals("bob@example.org", f.recipient());
        assertEquals(Set.of(), f.behaviours());
    }

    @Test
    void aRcptWithoutMailOrWithAnUnreadableAddressIsRefusedHereNeverSentUndecided() {
        opened();
        // qmail-smtpd would take the last four (it reads neither "TO:" nor the closing bracket strictly).
        client("RCPT TO:<grey@y>\r\nMAIL FROM:<a@x>\r\nRCPT TO <grey@y>\r\nRCPT <grey@y>\r\n"
                + "RCPT TO:<grey@y\r\nRCPT TO:\r\nDATA\r\n");
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText());
        upstream("250 2.1.0 ok\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nDATA\r\n", t.upstreamText());
        assertTrue(policy.requests.isEmpty());
        upstream("554 5.5.1 No valid recipients\r\n");
        assertEquals(List.of(503, 250, 501, 501, 501, 501, 554), t.clientCodes());
        assertTrue(t.clientText().startsWith("503 5.5.1 Error: need MAIL command\r\n"), t.clientText());
        assertTrue(t.clientText().contains("501 5.1.3 Bad recipient address syntax\r\n"), t.clientText());
    }

    /**
     * As Postfix's smtpd_recipient_limit: the 1,001st RCPT of a transaction gets 452 here, never sent on nor decided
     * (an upstream without a limit would let one transaction fill the proxy's memory); the next transaction counts
     * again.
     */
    @Test
    void aRcptOverTheLimitOfATransactionGets452HereAndTheNextTransactionCountsAgain() {
        opened();
        StringBuilder rcpts = new StringBuilder("MAIL FROM:<a@x>\r\n");
        for (int i = 0; i <= Envelope.MAX_RECIPIENTS; i++) {
            rcpts.append("RCPT TO:<r").append(i).append("@y>\r\n");
        }
        client(rcpts.toString());
        upstream("250 2.1.0 ok\r\n");
        assertEquals(Envelope.MAX_RECIPIENTS, policy.requests.size());
        assertEquals(Envelope.MAX_RECIPIENTS, t.upstreamText().split("RCPT TO:", -1).length - 1);
        assertFalse(t.upstreamText().contains("<r" + Envelope.MAX_RECIPIENTS + "@y>"));
        upstream("250 2.1.5 ok\r\n".repeat(Envelope.MAX_RECIPIENTS));
        List<Integer> codes = t.clientCodes();
        assertEquals(Envelope.MAX_RECIPIENTS + 2, codes.size());
        assertEquals(452, codes.get(codes.size() - 1));
        assertTrue(t.clientText().endsWith("452 4.5.3 Error: too many recipients\r\n"), t.clientText());

        t.clear();
        client("RSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<again@y>\r\n");
        assertEquals("RSET\r\n", t.upstreamText(), "the transaction ends at the upstream's reply to RSET");
        upstream("250 2.0.0 ok\r\n");
        assertEquals("RSET\r\nMAIL FROM:<a@x>\r\n", t.upstreamText());
        upstream("250 2.1.0 ok\r\n");
        assertEquals("RSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<again@y>\r\n", t.upstreamText());
        assertEquals(Envelope.MAX_RECIPIENTS + 1, policy.requests.size());
    }

    @Test
    void aMailFromWithAnUnreadableAddressIsRefusedHereAndItsRecipientsWithIt() {
        opened();
        client("MAIL FROM:<spam@x\r\nRCPT TO:<grey@y>\r\nMAIL FROM <spam@x>\r\nRCPT TO:<grey@y>\r\n");
        assertEquals("", t.upstreamText(), "neither MAIL started a transaction upstream, so no RCPT may go there");
        assertTrue(policy.requests.isEmpty());
        assertEquals(List.of(501, 503, 501, 503), t.clientCodes());
        assertTrue(t.clientText().startsWith("501 5.1.7 Bad sender address syntax\r\n"), t.clientText());
    }

    @Test
    void aMailFromTheUpstreamRefusedLeavesNoSenderToDecideFor() {
        opened();
        client("MAIL FROM:<b@x>\r\n");
        upstream("550 5.1.0 <b@x>: sender rejected\r\n");
        client("RCPT TO:<grey@y>\r\n");
        assertTrue(policy.requests.isEmpty(), "the upstream holds no transaction, so neither does the proxy");
        assertEquals("MAIL FROM:<b@x>\r\n", t.upstreamText());
        assertEquals(List.of(550, 503), t.clientCodes());
    }

    @Test
    void aMailInsideATransactionIsRefusedHereSoTheRecipientsAreDecidedForTheSenderTheUpstreamHolds() {
        opened();
        client("MAIL FROM:<evil@x>\r\nMAIL FROM:<trusted@x>\r\nRCPT TO:<ok@y>\r\n");
        upstream("250 2.1.0 ok\r\n");
        assertEquals("MAIL FROM:<evil@x>\r\nRCPT TO:<ok@y>\r\n", t.upstreamText());
        assertEquals("evil@x", policy.requests.get(0).sender());
        upstream("250 2.1.5 ok\r\n");
        assertEquals(List.of(250, 503, 250), t.clientCodes());
        assertTrue(t.clientText().contains("503 5.5.1 Error: nested MAIL command\r\n"), t.clientText());
    }

    @Test
    void aGreetingInsideATransactionEndsItAtTheUpstreamFirstWhateverTheUpstreamSaysToTheGreeting() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\n");
        upstream("250 ok\r\n250 ok\r\n");
        client("EHLO\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nRSET\r\nEHLO\r\n", t.upstreamText());
        upstream("250 2.0.0 ok\r\n501 5.5.4 Syntax: EHLO hostname\r\n"); // Postfix keeps its transaction
        assertEquals(List.of(250, 250, 501), t.clientCodes(), "the proxy's RSET is answered to the proxy only");
        client("RCPT TO:<grey@y>\r\n");
        assertEquals(List.of(250, 250, 501, 503), t.clientCodes());
        assertEquals(List.of("ok@y"), policy.recipients());
    }

    @Test
    void aNullSenderDataRefusedHereIsRefusedAgainAtTheNextDataNeverSentOn() {
        opened();
        client("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\n");
        upstream("250 ok\r\n");
        upstream("250 ok\r\n");
        client("DATA\r\n");
        client("DATA\r\n");
        // The upstream still holds the recipient, so the second DATA is refused too; by the first verdict, as the
        // same triplet asked again within the transaction would be a retry too soon (retryinterval).
        assertEquals(List.of("grey@y"), policy.recipients());
        assertEquals(List.of(250, 250, 451, 451), t.clientCodes());
        assertFalse(t.upstreamText().contains("DATA"), t.upstreamText());
    }

    @Test
    void aRefusedLastChunkEndsTheTransactionAtTheUpstreamToo() {
        opened();
        client("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\n");
        upstream("250 ok\r\n");
        upstream("250 ok\r\n");
        client("BDAT 3 LAST\r\nabc");
        assertEquals("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\nRSET\r\n", t.upstreamText(),
                "the upstream never saw the LAST that would have ended its transaction");
        upstream("250 2.0.0 ok\r\n");
        client("DATA\r\n");
        assertTrue(t.upstreamText().endsWith("RSET\r\nDATA\r\n"), t.upstreamText());
        upstream("503 5.5.1 Error: need RCPT command\r\n");
        assertEquals(List.of(250, 250, 451, 503), t.clientCodes());
    }

    @Test
    void dataAfterARefusedChunkGetsTheSameRefusal() {
        opened();
        client("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\n");
        upstream("250 ok\r\n");
        upstream("250 ok\r\n");
        client("BDAT 3\r\nabcDATA\r\n");
        assertEquals(List.of(250, 250, 451, 451), t.clientCodes());
        assertFalse(t.upstreamText().contains("DATA") || t.upstreamText().contains("BDAT"), t.upstreamText());
    }

    @Test
    void unreadableAddressesAreTheUpstreamsToJudgeWhenNothingIsGreylisted() {
        opened(settings(), info(Map.of("RELAYCLIENT", ""), true));
        client("MAIL FROM:<a@x\r\nRCPT TO <b@y>\r\n");
        assertEquals("MAIL FROM:<a@x\r\nRCPT TO <b@y>\r\n", t.upstreamText());
        assertTrue(policy.requests.isEmpty());
    }

    @Test
    void rsetAndAFinishedMessageEndTheTransaction() {
        opened();
        client("MAIL FROM:<a@x>\r\nRSET\r\nRCPT TO:<grey@y>\r\n");
        assertTrue(policy.requests.isEmpty(), "after RSET there is no sender");
        assertEquals("MAIL FROM:<a@x>\r\nRSET\r\n", t.upstreamText());
        upstream("250 ok\r\n250 ok\r\n");
        assertEquals(List.of(250, 250, 503), t.clientCodes());
    }

    @Test
    void withoutGreylistingEveryRcptIsForwarded() {
        opened(settings(), info(Map.of(), false));
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        assertTrue(policy.requests.isEmpty());
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n", t.upstreamText());
    }

    @Test
    void aRelayClientIsSkipped() {
        opened(settings(), info(Map.of("RELAYCLIENT", ""), true));
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        assertEquals("RELAYCLIENT", policy.requests.get(0).skip());
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n", t.upstreamText());
    }

    @Test
    void aTemporaryFailureOfTheDecisionIsA451() {
        t = new FakeTransport();
        List<String> asked = new java.util.ArrayList<>();
        RcptPolicy failing = new RcptPolicy() {
            @Override
            public void decide(RcptRequest r, long askedNanos, java.util.function.Consumer<Verdict> done) {
                asked.add(r.recipient());
                done.accept(new Verdict(Verdict.Action.TEMPFAIL, Verdict.Reason.STORE_ERROR, "192.0.2.0/24", 0, -1, null, 0));
            }

            @Override
            public void screen(RcptRequest r, java.util.function.Consumer<Verdict> done) {
                done.accept(null);
            }
        };
        session = new RelaySession(t, failing, settings(), info(Map.of(), true));
        session.start();
        upstream(GREETING);
        client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
        upstream("250 ok\r\n");
        assertEquals(GREETING + "250 ok\r\n451 4.3.0 greylisting is temporarily unavailable, try again later\r\n",
                t.clientText());
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText());
        assertFalse(session.isClosed());
        // No attempt was recorded: the recipient named again is asked again (the greydb may be back by then).
        client("RCPT TO:<b@y>\r\n");
        assertEquals(List.of("b@y", "b@y"), asked);
    }

    // ---------------------------------------------------------------- DATA and BDAT

    @Test
    void dataPassesByteForByteAfter354AndNotBefore() {
        opened();
        String message = "Subject: test\r\n\r\n..leading dot\r\nRCPT TO:<grey@y>\r\nbare\rCR and 8-bit \u00e9\u00ff\r\n"
                + "..\r\n\r\n.\r\n";
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n" + message + "QUIT\r\n");
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText(), "the RCPT waits for the MAIL's reply");
        upstream("250 ok\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n", t.upstreamText(), "nothing after DATA before 354");
        upstream("250 ok\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n", t.upstreamText());
        upstream("354 go ahead\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n" + message + "QUIT\r\n", t.upstreamText());
        assertEquals(List.of("ok@y"), policy.recipients(), "the message text is not read as commands");
        upstream("250 2.0.0 queued\r\n221 bye\r\n");
        assertEquals(List.of(250, 250, 354, 250, 221), t.clientCodes());
        assertTrue(t.clientClosed);
    }

    @Test
    void dataInSmallPiecesArrivesWhole() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
        upstream("250 ok\r\n250 ok\r\n354 go ahead\r\n");
        t.clear();
        byte[] message = bytes("Subject: x\r\n\r\nline\r\n.. \r\n.\r\nMAIL FROM:<b@x>\r\nRCPT TO:<grey@y>\r\n");
        for (byte b : message) {
            clientBytes(new byte[] {b});
        }
        assertEquals("Subject: x\r\n\r\nline\r\n.. \r\n.\r\nMAIL FROM:<b@x>\r\n", t.upstreamText(),
                "after the end, commands again; the greylisted RCPT stays here");
        upstream("250 queued\r\n250 ok\r\n");
        assertEquals("250 queued\r\n250 ok\r\n" + GREYLISTED, t.clientText());
    }

    @Test
    void dataRefusedByTheUpstreamLeavesTheSessionInCommands() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nDATA\r\n");
        upstream("250 ok\r\n554 5.5.1 no valid recipients\r\n");
        client("RSET\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nDATA\r\nRSET\r\n", t.upstreamText());
        upstream("250 ok\r\n");
        assertEquals(List.of(250, 451, 554, 250), t.clientCodes());
    }

    @Test
    void anEmptyMessageEndsAtOnce() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
        upstream("250 ok\r\n250 ok\r\n354 go\r\n");
        client(".\r\nNOOP\r\n");
        assertTrue(t.upstreamText().endsWith("DATA\r\n.\r\nNOOP\r\n"), t.upstreamText());
    }

    @Test
    void bdatChunksAreForwardedExactly() {
        String chunk1 = "RCPT TO:<grey@y>\r\n.\r\nDATA\r\n";
        String chunk2 = "\r\n.\r\nQUIT\r\n\u00ff";
        String input = "MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nBDAT " + chunk1.length() + "\r\n" + chunk1
                + "BDAT " + chunk2.length() + " LAST\r\n" + chunk2 + "RCPT TO:<grey@y>\r\n";
        for (int i = 0; i <= input.length(); i++) {
            opened();
            client(input.substring(0, i));
            client(input.substring(i));
            upstream("250 ok\r\n"); // the MAIL's: the RCPT waits for it
            // After BDAT LAST the transaction is over: the last RCPT has no sender and is refused here.
            assertEquals(input.substring(0, input.lastIndexOf("RCPT")), t.upstreamText(), "cut at " + i);
            assertEquals(List.of("ok@y"), policy.recipients(), "cut at " + i);
            upstream("250 ok\r\n250 chunk\r\n250 queued\r\n");
            assertEquals(List.of(250, 250, 250, 250, 503), t.clientCodes(), "cut at " + i);
        }
    }

    @Test
    void bdatChunksInOneBytePieces() {
        opened();
        byte[] input = bytes("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nBDAT 5\r\n12345BDAT 0 LAST\r\nNOOP\r\n");
        for (byte b : input) {
            clientBytes(new byte[] {b});
        }
        upstream("250 ok\r\n"); // the MAIL's: the RCPT waits for it
        assertArrayEquals(input, t.upstreamBytes());
    }

    @Test
    void aMalformedBdatEndsTheSession() {
        opened();
        client("BDAT lots\r\nNOOP\r\n");
        assertEquals("", t.upstreamText());
        assertEquals(List.of(501), t.clientCodes());
        assertTrue(t.clientClosed);
    }

    @Test
    void aBdatIsAnsweredHereWithItsChunkSkippedWhenTheUpstreamDoesNotOfferChunking() {
        create(settings(), info(Map.of(), true));
        session.start();
        upstream(GREETING);
        client("EHLO client.example.net\r\n");
        upstream("250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        upstream("250 ok\r\n");
        t.clear();
        // The bypass: the chunk holds commands that an upstream refusing the BDAT would read and run.
        String chunk = "RCPT TO:<victim@example.com>\r\nDATA\r\nsmuggled\r\n.\r\n";
        client("BDAT " + chunk.length() + " LAST\r\n" + chunk + "NOOP\r\n");
        assertEquals(List.of(502), t.clientCodes());
        assertEquals("NOOP\r\n", t.upstreamText(), "nothing of the BDAT reaches the upstream");
        assertTrue(policy.recipients().stream().noneMatch(r -> r.startsWith("victim")), policy.recipients().toString());
        upstream("250 ok\r\n");
        assertEquals(List.of(502, 250), t.clientCodes());
    }

    @Test
    void aBdatAfterHeloIsAnsweredHere() {
        create(settings(), info(Map.of(), true));
        session.start();
        upstream(GREETING);
        client("HELO client.example.net\r\n");
        upstream("250 mx.example.org\r\n");
        t.clear();
        client("BDAT 6\r\nQUIT\r\nNOOP\r\n");
        assertEquals(List.of(502), t.clientCodes());
        assertEquals("NOOP\r\n", t.upstreamText());
    }

    @Test
    void aBdatPipelinedBehindEhloWaitsForWhatTheEhloReplyOffers() {
        create(settings(), info(Map.of(), true));
        session.start();
        upstream(GREETING);
        client("EHLO client.example.net\r\nBDAT 6\r\nQUIT\r\n");
        assertEquals("EHLO client.example.net\r\n", t.upstreamText(), "nothing after EHLO is read before its reply");
        upstream("250-mx.example.org\r\n250 PIPELINING\r\n");
        assertEquals("EHLO client.example.net\r\n", t.upstreamText());
        assertEquals(List.of(220, 250, 502), t.clientCodes());

        create(settings(), info(Map.of(), true));
        session.start();
        upstream(GREETING);
        client("EHLO client.example.net\r\nBDAT 6\r\nQUIT\r\n");
        upstream(EHLO_REPLY);
        assertEquals("EHLO client.example.net\r\nBDAT 6\r\nQUIT\r\n", t.upstreamText(), "with CHUNKING it is forwarded");
    }

    // ---------------------------------------------------------------- the null sender

    @Test
    void aVerificationProbeFromTheNullSenderGetsTheUpstreamsOwnAnswers() {
        opened();
        client("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\nQUIT\r\n");
        upstream("250 ok\r\n250 2.1.5 ok\r\n221 bye\r\n");
        assertTrue(policy.requests.isEmpty(), "nothing is decided at RCPT for <>");
        assertEquals("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\nQUIT\r\n", t.upstreamText());
        assertEquals(List.of(250, 250, 221), t.clientCodes());
    }

    @Test
    void aNullSenderMessageIsGreylistedAtDataForTheRecipientsTheUpstreamAccepted() {
        opened();
        client("MAIL FROM:<>\r\nRCPT TO:<ok@y>\r\nRCPT TO:<reject@y>\r\nRCPT TO:<grey@y>\r\nDATA\r\nhello\r\n.\r\n");
        upstream("250 ok\r\n");
        upstream("250 ok\r\n");
        upstream("550 no such user\r\n");
        upstream("250 ok\r\n");
        assertEquals(List.of("ok@y", "grey@y"), policy.recipients(), "decided at DATA, rejected recipients left out");
        assertEquals(List.of(250, 250, 550, 250, 451), t.clientCodes());
        assertEquals("", policy.requests.get(0).sender());
        assertFalse(t.upstreamText().contains("DATA"), "the DATA never reached the upstream: " + t.upstreamText());
    }

    @Test
    void atDataEveryNullSenderRecipientIsDecidedEvenAfterARefusal() {
        opened();
        // Each recipient's first attempt must be recorded now, or every extra recipient would cost one more retry.
        // (Each RCPT of the null sender waits for its reply before the next command is read.)
        client("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\nRCPT TO:<grey2@y>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
        upstream("250 ok\r\n");
        upstream("250 ok\r\n");
        upstream("250 ok\r\n");
        upstream("250 ok\r\n");
        assertEquals(List.of("grey@y", "grey2@y", "ok@y"), policy.recipients());
        assertEquals(List.of(250, 250, 250, 250, 451), t.clientCodes());
        assertTrue(t.clientText().endsWith(GREYLISTED), "the first refusal answers the DATA: " + t.clientText());
        assertFalse(t.upstreamText().contains("DATA"), t.upstreamText());
    }

    /**
     * Verdicts that come back at once (a recipient memory, postmaster@ say) ask about the next recipient in a loop,
     * not a call deeper in the stack each: the most recipients a transaction may have, all decided at DATA.
     */
    @Test
    void aNullSenderMessageWithManyRecipientsDecidedAtOnceReachesData() {
        opened();
        int n = Envelope.MAX_RECIPIENTS;
        client("MAIL FROM:<>\r\n");
        upstream("250 ok\r\n");
        for (int i = 0; i < n; i++) {
            client("RCPT TO:<ok" + i + "@y>\r\n");
            upstream("250 ok\r\n");
        }
        client("RCPT TO:<one-more@y>\r\n");
        assertTrue(t.clientText().endsWith("452 4.5.3 Error: too many recipients\r\n"), "over the limit");
        client("DATA\r\n");
        assertEquals(n, policy.recipients().size(), "every recipient decided at DATA");
        assertTrue(t.upstreamText().endsWith("DATA\r\n"), "all passed: the DATA goes on");
    }

    @Test
    void aNullSenderMessageWhoseRecipientsPassGoesOnToData() {
        opened();
        client("MAIL FROM:<>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
        upstream("250 ok\r\n250 ok\r\n");
        assertEquals(List.of("ok@y"), policy.recipients());
        assertTrue(t.upstreamText().endsWith("DATA\r\n"));
        upstream("354 go\r\n");
        client("bounce text\r\n.\r\n");
        upstream("250 queued\r\n");
        assertTrue(t.upstreamText().endsWith("DATA\r\nbounce text\r\n.\r\n"));
        assertEquals(List.of(250, 250, 354, 250), t.clientCodes());
    }

    @Test
    void aNullSenderBdatIsRefusedWithItsChunkSkipped() {
        opened();
        client("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\n");
        upstream("250 ok\r\n250 ok\r\n");
        client("BDAT 5\r\nhelloBDAT 3 LAST\r\nbyeNOOP\r\n");
        upstream("250 reset\r\n250 ok\r\n");
        assertEquals(List.of(250, 250, 451, 451, 250), t.clientCodes());
        // The refused LAST ends the transaction at the upstream too, which never saw it.
        assertEquals("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\nRSET\r\nNOOP\r\n", t.upstreamText());
        // The later chunk gets the engine's own answer again (its recipient, its delay), not one made up here.
        List<Reply> replies = t.clientReplies();
        assertEquals(replies.get(2).lines(), replies.get(3).lines());
        assertTrue(replies.get(3).lines().get(0).contains("grey@y"), replies.get(3).toString());
    }

    // ---------------------------------------------------------------- AUTH

    @Test
    void aSessionAuthenticatedByTheUpstreamIsNotGreylisted() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRSET\r\n");
        upstream("250 ok\r\n");
        assertNull(policy.requests.get(0).skip());
        upstream("250 ok\r\n");
        client("AUTH PLAIN AGFAYg==\r\nMAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        assertEquals(1, policy.requests.size(), "MAIL waits until the AUTH reply is known");
        upstream("235 2.7.0 authenticated\r\n");
        upstream("250 2.1.0 ok\r\n");
        assertEquals(2, policy.requests.size());
        assertEquals("authenticated", policy.requests.get(1).skip());
        assertTrue(t.upstreamText().endsWith("AUTH PLAIN AGFAYg==\r\nMAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n"));
    }

    @Test
    void aSaslExchangeIsForwardedAndItsResponsesAreNotCommands() {
        opened();
        client("AUTH LOGIN\r\n");
        upstream("334 VXNlcm5hbWU6\r\n");
        client("STARTTLS\r\n"); // a response that looks like a command
        upstream("334 UGFzc3dvcmQ6\r\n");
        client("cGFzcw==\r\n");
        upstream("235 ok\r\n");
        assertEquals("AUTH LOGIN\r\nSTARTTLS\r\ncGFzcw==\r\n", t.upstreamText());
        assertEquals(List.of(334, 334, 235), t.clientCodes());
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        assertEquals("authenticated", policy.requests.get(0).skip());
    }

    @Test
    void saslTokensMayBeLongerThanCommandLines() {
        opened();
        String token = "Y".repeat(9000); // a Kerberos ticket, say: over 4096, under RFC 4954's 12288
        client("AUTH GSSAPI " + token + "\r\n");
        upstream("334 \r\n");
        client(token + "\r\n");
        upstream("235 ok\r\n");
        assertEquals("AUTH GSSAPI " + token + "\r\n" + token + "\r\n", t.upstreamText());
        client("NOOP " + token + "\r\n");
        assertEquals(List.of(334, 235, 500), t.clientCodes(), "ordinary commands keep the ordinary limit");
    }

    @Test
    void aFailedAuthChangesNothing() {
        opened();
        client("AUTH PLAIN AGFAYg==\r\n");
        upstream("535 5.7.8 bad credentials\r\n");
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        upstream("250 ok\r\n");
        assertNull(policy.requests.get(0).skip());
        assertEquals(Set.of(Behaviour.COMMANDERRORS), policy.requests.get(0).facts().behaviours());
    }

    // ---------------------------------------------------------------- what the proxy answers itself

    @Test
    void anOverLongLineGets500AndTheSessionGoesOn() {
        opened();
        client("NOOP " + "x".repeat(5000) + "\r\nNOOP\r\n");
        assertEquals("500 5.5.2 line too long\r\n", t.clientText());
        assertEquals("NOOP\r\n", t.upstreamText());
        upstream("250 ok\r\n");
        assertEquals(List.of(500, 250), t.clientCodes());
        assertFalse(session.isClosed());
    }

    @Test
    void anOverLongLineInPiecesIsDiscardedToItsEnd() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<" + "x".repeat(3000));
        client("y".repeat(3000));
        assertEquals(List.of(), t.clientCodes(), "the 500 comes after MAIL's reply");
        client("z".repeat(3000) + ">\r\nRCPT TO:<grey@y>\r\n");
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText());
        upstream("250 ok\r\n");
        assertEquals(List.of(250, 500, 451), t.clientCodes());
        assertEquals(List.of("grey@y"), policy.recipients());
    }

    @Test
    void aLineOfExactlyTheLimitIsAccepted() {
        opened();
        String line = "NOOP " + "x".repeat(RelaySettings.DEFAULT_MAX_LINE - 7) + "\r\n";
        assertEquals(RelaySettings.DEFAULT_MAX_LINE, line.length());
        client(line);
        client(line.substring(0, 2) + "x" + line.substring(2));
        assertEquals(line, t.upstreamText());
        upstream("250 ok\r\n");
        assertEquals(List.of(250, 500), t.clientCodes());
    }

    @Test
    void controlCharactersGet500() {
        opened();
        client("NOOP\0\r\nMAIL FROM:<a@x>\rRCPT TO:<b@y>\r\nNOOP\r\n");
        assertEquals("NOOP\r\n", t.upstreamText());
        assertEquals(List.of(500, 500), t.clientCodes());
        assertTrue(t.clientText().startsWith("500 5.5.2 syntax error: control characters in command\r\n"));
    }

    /**
     * Postfix skips white space before a command word: " RCPT TO:<x>" forwarded as an unknown line would be a
     * RCPT the upstream takes undecided, " XCLIENT" one only the proxy may send. Refused here, never forwarded.
     */
    @Test
    void aCommandLineBeginningWithWhiteSpaceIsRefusedNotForwarded() {
        opened();
        client("MAIL FROM:<a@x>\r\n");
        upstream("250 ok\r\n");
        client(" RCPT TO:<grey@y>\r\n\tRCPT TO:<grey@y>\r\n XCLIENT ADDR=127.0.0.1\r\nDATA\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nDATA\r\n", t.upstreamText(),
                "the refused lines never reach the upstream (DATA does, where no recipient makes it fail)");
        assertEquals(List.of(), policy.recipients(), "no decision was asked for a line that is no command");
        assertTrue(t.clientText().contains("500 5.5.2 syntax error: command line begins with white space\r\n"
                + "500 5.5.2 syntax error: command line begins with white space\r\n"
                + "500 5.5.2 syntax error: command line begins with white space\r\n"), t.clientText());
    }

    @Test
    void startTlsGets454AndIsNotAdvertised() {
        opened();
        client("STARTTLS\r\n");
        assertEquals("454 4.7.0 TLS not available\r\n", t.clientText());
        assertEquals("", t.upstreamText());
        client("EHLO again.example.net\r\n");
        upstream("250-mx.example.org\r\n250-STARTTLS\r\n250-SIZE 100\r\n250-XCLIENT NAME ADDR\r\n250 STARTTLS\r\n");
        assertEquals("454 4.7.0 TLS not available\r\n250-mx.example.org\r\n250 SIZE 100\r\n", t.clientText());
    }

    @Test
    void xclientAndKinAreRefused() {
        opened();
        client("XCLIENT ADDR=10.0.0.1\r\nxforward NAME=spoofed\r\nPROXY TCP4 10.0.0.1 10.0.0.2 1 25\r\n");
        assertEquals("550 5.7.1 XCLIENT is not accepted from clients\r\n550 5.7.1 XFORWARD is not accepted from clients\r\n"
                + "550 5.7.1 PROXY is not accepted from clients\r\n", t.clientText());
        assertEquals("", t.upstreamText());
        assertFalse(session.isClosed());
    }

    @Test
    void aProxyV2HeaderIsRefusedEvenWhenItComesInPieces() {
        create(settings(), info(Map.of(), true));
        session.start();
        session.onUpstreamConnected();
        byte[] header = new byte[28]; // the signature, then version/command, family, length and addresses
        System.arraycopy(ProxyV2Signature.bytes(), 0, header, 0, ProxyV2Signature.length());
        header[12] = 0x21;
        header[13] = 0x11;
        header[15] = 12;
        clientBytes(java.util.Arrays.copyOf(header, 6)); // past CRLF CRLF NUL: the rest is waited for
        upstream(GREETING);
        assertEquals(GREETING, t.clientText());
        clientBytes(java.util.Arrays.copyOfRange(header, 6, header.length));
        assertEquals(GREETING + "550 5.7.1 PROXY is not accepted from clients\r\n", t.clientText());
        assertEquals("", t.upstreamText(), "neither the empty lines nor the QUIT inside the signature went on");
        assertTrue(t.clientClosed);
    }

    @Test
    void anEmptyFirstLineIsStillALine() {
        opened();
        client("\r\nNOOP\r\n");
        assertEquals("\r\nNOOP\r\n", t.upstreamText(), "a lone CRLF is not held as the start of a PROXY header");
    }

    @Test
    void aFiveHundredReplyMarksCommandErrors() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<nobody@y>\r\n");
        upstream("250 ok\r\n550 5.1.1 no such user\r\n");
        client("RCPT TO:<grey@y>\r\n");
        assertEquals(Set.of(), policy.requests.get(0).facts().behaviours());
        assertEquals(Set.of(Behaviour.COMMANDERRORS), policy.requests.get(1).facts().behaviours());
    }

    // ---------------------------------------------------------------- connections ending

    @Test
    void theClientLeavingMidDataAbandonsTheMessage() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
        upstream("250 ok\r\n250 ok\r\n354 go\r\n");
        client("Subject: half a message\r\n");
        session.onClientClosed();
        assertEquals(List.of(true), t.upstreamCloses);
        assertTrue(session.isClosed());
    }

    @Test
    void theClientLeavingMidChunkAbandonsTheMessage() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nBDAT 100 LAST\r\nhalf");
        upstream("250 ok\r\n");
        session.onClientClosed();
        assertEquals(List.of(true), t.upstreamCloses);
    }

    @Test
    void theClientLeavingBetweenCommandsClosesTheUpstreamGently() {
        opened();
        client("NOOP\r\n");
        session.onClientClosed();
        assertEquals(List.of(false), t.upstreamCloses);
        session.onUpstreamData(ByteBuffer.wrap(bytes("250 ok\r\n")));
        assertEquals("", t.clientText(), "nothing more is written once closed");
    }

    @Test
    void anUnsolicited421IsPassedOnThenTheSessionCloses() {
        opened();
        upstream("421 4.3.2 mx.example.org shutting down\r\n");
        assertEquals("421 4.3.2 mx.example.org shutting down\r\n", t.clientText());
        session.onUpstreamClosed();
        assertTrue(t.clientClosed);
        assertEquals(List.of(false), t.upstreamCloses);
        assertEquals("421 4.3.2 mx.example.org shutting down\r\n", t.clientText(), "no second 421 from the proxy");
    }

    @Test
    void a421ReplyToACommandClosesAfterIt() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\n");
        upstream("421 4.7.0 too busy\r\n");
        assertEquals(List.of(421), t.clientCodes());
        assertTrue(t.clientClosed);
        assertTrue(session.isClosed());
    }

    @Test
    void theUpstreamVanishingGivesTheClientA421() {
        opened();
        client("MAIL FROM:<a@x>\r\n");
        session.onUpstreamClosed();
        assertEquals(UNAVAILABLE, t.clientText());
        assertTrue(t.clientClosed);
        assertEquals(List.of(true), t.upstreamCloses);
        assertTrue(session.isClosed());
    }

    @Test
    void anUnreachableUpstreamGivesTheClientA421() {
        create(settings(), info(Map.of(), true));
        session.start();
        client("EHLO early\r\n");
        session.onUpstreamConnectFailed(new java.net.ConnectException("Connection refused"));
        assertEquals(UNAVAILABLE, t.clientText());
        assertTrue(t.clientClosed);
    }

    @Test
    void anUpstreamThatSpeaksNoSmtpGivesTheClientA421() {
        opened();
        upstream("HTTP/1.1 400 Bad Request\r\n");
        assertEquals(UNAVAILABLE, t.clientText());
        assertTrue(t.clientClosed);
    }

    @Test
    void onlyAWaitedForPeerTimesOut() {
        opened();
        session.onUpstreamIdle();
        assertFalse(session.isClosed(), "the upstream owes nothing");
        client("NOOP\r\n");
        session.onClientIdle();
        assertFalse(session.isClosed(), "the client waits for the upstream");
        session.onUpstreamIdle();
        assertTrue(session.isClosed());
        assertEquals(UNAVAILABLE, t.clientText());

        opened();
        session.onClientIdle();
        assertEquals("421 4.4.2 proxy.example.org idle timeout, closing connection\r\n", t.clientText());
        assertTrue(t.clientClosed);
    }

    // ---------------------------------------------------------------- greeting delay

    @Test
    void theGreetingDelayPostponesTheUpstreamConnection() {
        create(settings().withGreetDelayMillis(6000), info(Map.of(), true));
        session.start();
        assertEquals(6000, t.scheduledDelay);
        assertEquals(0, t.connects, "no upstream connection during the delay");
        t.scheduled.run();
        assertEquals(1, t.connects);
        upstream(GREETING);
        client("EHLO patient.example.net\r\nMAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        upstream(EHLO_REPLY + "250 ok\r\n");
        assertEquals(Set.of(), policy.requests.get(0).facts().behaviours());
    }

    @Test
    void talkingBeforeTheGreetingIsNoted() {
        create(settings().withGreetDelayMillis(6000), info(Map.of(), true));
        session.start();
        client("EHLO hasty.example.net\r\nMAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        assertEquals("", t.upstreamText());
        assertEquals("", t.clientText());
        t.scheduled.run();
        assertEquals("", t.upstreamText(), "still nothing before the greeting");
        upstream(GREETING);
        assertEquals("EHLO hasty.example.net\r\nMAIL FROM:<a@x>\r\n", t.upstreamText());
        upstream(EHLO_REPLY + "250 ok\r\n");
        assertEquals(Set.of(Behaviour.GREETDELAY), policy.requests.get(0).facts().behaviours());
        assertEquals(List.of(220, 250, 250, 451), t.clientCodes());
    }

    @Test
    void aClientLeavingDuringTheDelayNeverCostsAnUpstreamConnection() {
        create(settings().withGreetDelayMillis(6000), info(Map.of(), true));
        session.start();
        session.onClientClosed();
        t.scheduled.run();
        assertEquals(0, t.connects);
    }

    @Test
    void aFloodBeforeTheGreetingPausesReading() {
        // Without the junk command limit, which would end a flood of NOOPs (see the tests of the limit).
        create(settings().withJunkCommandLimit(0), info(Map.of(), true));
        session.start();
        client("NOOP\r\n".repeat(12_000));
        assertEquals(List.of(true), t.pauses);
        upstream(GREETING);
        assertEquals(List.of(true, false), t.pauses);
        assertEquals("NOOP\r\n".repeat(12_000), t.upstreamText());
    }

    // ---------------------------------------------------------------- SMTP smuggling

    @Test
    void aBareLfDotLineAbandonsTheMessageAndGets554AfterTheRealEnd() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
        upstream("250 ok\r\n250 ok\r\n354 go\r\n");
        t.clear();
        client("Subject: x\r\n\r\nhello\r\n");
        assertEquals("Subject: x\r\n\r\nhello\r\n", t.upstreamText());
        client("smuggle\n.\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nforged\r\n");
        assertEquals("Subject: x\r\n\r\nhello\r\n", t.upstreamText(), "the smuggled part never reaches the upstream");
        assertEquals(List.of(true), t.upstreamCloses, "the upstream is dropped so it discards the message");
        assertEquals("", t.clientText(), "no reply before the real end");
        assertFalse(t.clientClosed);
        upstream("250 too late\r\n");
        client("more\r\n.\r\nQUIT\r\n");
        assertEquals(List.of(554), t.clientCodes());
        assertTrue(t.clientText().startsWith("554 5.6.0 "), t.clientText());
        assertTrue(t.clientClosed);
        assertEquals("Subject: x\r\n\r\nhello\r\n", t.upstreamText());
        assertTrue(policy.recipients().equals(List.of("ok@y")), "the smuggled RCPT was never decided");
    }

    @Test
    void everyBareCrFormIsCaughtWhereverItIsCut() {
        for (String form : new String[] {"\r.\r", "\r\n.\r", "\r.\r\n"}) {
            String message = "hello" + form + "RCPT TO:<victim@y>\r\n.\r\n";
            for (int i = 0; i <= message.length(); i++) {
                opened();
                client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
                upstream("250 ok\r\n250 ok\r\n354 go\r\n");
                t.clear();
                client(message.substring(0, i));
                client(message.substring(i));
                String where = Arrays.toString(bytes(form)) + " cut at " + i;
                assertFalse(t.upstreamText().contains("RCPT"), where + ": " + t.upstreamText());
                assertFalse(t.upstreamText().contains(form), where);
                assertEquals(true, t.upstreamCloses.get(0), where);
                assertEquals(List.of(554), t.clientCodes(), where);
                assertTrue(t.clientClosed, where);
            }
        }
    }

    @Test
    void aCommandEndedByABareLfGoesUpstreamEndedByCrLf() {
        opened();
        client("NOOP\nRSET\nMAIL FROM:<a@x>\n");
        upstream("250 2.0.0 ok\r\n250 2.0.0 ok\r\n"); // the MAIL waits for the RSET's reply
        assertEquals("NOOP\r\nRSET\r\nMAIL FROM:<a@x>\r\n", t.upstreamText(),
                "a strict upstream must not read the three as one line");
    }

    // ---------------------------------------------------------------- junk commands

    @Test
    void junkBeyondTheLimitGets421AfterTheRepliesBeforeItAndEndsTheSession() {
        opened(settings().withJunkCommandLimit(4), info(Map.of(), true)); // the EHLO of opened() is the first
        client("NOOP\r\nVRFY x\r\nHELP\r\nNOOP\r\nMAIL FROM:<a@x>\r\n");
        assertEquals("NOOP\r\nVRFY x\r\nHELP\r\n", t.upstreamText(), "the command over the limit is not passed on");
        assertFalse(t.clientClosed, "not before the replies owed");
        upstream("250 ok\r\n252 maybe\r\n214 help\r\n");
        assertEquals(List.of(250, 252, 214, 421), t.clientCodes());
        assertTrue(t.clientText().endsWith("421 4.7.0 proxy.example.org Error: too many commands, closing connection\r\n"),
                t.clientText());
        assertTrue(t.clientClosed);
        assertTrue(session.isClosed());
    }

    @Test
    void refusedLinesAndUnknownVerbsAreJunk() {
        opened(settings().withJunkCommandLimit(2), info(Map.of(), true)); // the EHLO, then XFORWARD
        client("XFORWARD ADDR=1.2.3.4\r\nGET / HTTP/1.0\r\nNO\u0001OP\r\n");
        assertEquals(List.of(550, 421), t.clientCodes(), t.clientText());
        assertTrue(t.clientClosed);
    }

    @Test
    void mailTransactionsAreNotJunk() {
        opened(settings().withJunkCommandLimit(1), info(Map.of("RELAYCLIENT", ""), true));
        for (int i = 0; i < 5; i++) {
            client("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
            upstream("250 ok\r\n250 ok\r\n354 go\r\n");
            client("hello\r\n.\r\n");
            upstream("250 queued\r\n");
        }
        client("QUIT\r\n");
        upstream("221 bye\r\n");
        assertFalse(t.clientText().contains("421"), t.clientText());
        assertTrue(t.clientClosed);
    }

    @Test
    void withoutALimitJunkIsNeverCapped() {
        opened(settings().withJunkCommandLimit(0), info(Map.of(), true));
        client("NOOP\r\n".repeat(500));
        upstream("250 ok\r\n".repeat(500));
        assertEquals(500, t.clientCodes().size());
        assertFalse(t.clientClosed);
    }

    @Test
    void everyBareLfFormIsCaughtWhereverItIsCut() {
        for (String form : new String[] {"\n.\n", "\n.\r\n", "\r\n.\n"}) {
            String message = "hello" + form + "RCPT TO:<victim@y>\r\n.\r\n";
            for (int i = 0; i <= message.length(); i++) {
                opened();
                client("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\nDATA\r\n");
                upstream("250 ok\r\n250 ok\r\n354 go\r\n");
                t.clear();
                client(message.substring(0, i));
                client(message.substring(i));
                String where = Arrays.toString(bytes(form)) + " cut at " + i;
                assertFalse(t.upstreamText().contains("RCPT"), where + ": " + t.upstreamText());
                assertFalse(t.upstreamText().contains(form), where);
                assertEquals(true, t.upstreamCloses.get(0), where);
                assertEquals(List.of(554), t.clientCodes(), where);
                assertTrue(t.clientClosed, where);
            }
        }
    }
}
