package org.greylite.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.greylite.suspicion.Behaviour;
import org.junit.jupiter.api.Test;

/**
 * The upstream-first RCPT order through a fake transport: the upstream hears each RCPT first, its refusals go
 * back unchanged, and a recipient it accepted but greylisting refused leaves its envelope before the message.
 */
class RelayUpstreamFirstTest {

    private static final String GREETING = "220 mx.example.org ESMTP\r\n";
    private static final String EHLO_REPLY = "250-mx.example.org\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n";
    private static final String GREYLISTED = "451 4.7.1 <grey@y>: greylisted, please retry in 300 seconds\r\n";
    private static final String UNKNOWN = "550 5.1.1 <nobody@y>: Recipient address rejected: User unknown\r\n";

    private final FakeTransport t = new FakeTransport();
    private final FakePolicy policy = new FakePolicy();
    private RelaySession session;

    private void client(String s) {
        session.onClientData(ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private void upstream(String s) {
        FakeTransport.repliesOneByOne(session, s);
    }

    /** A session in the upstream-first order past the greeting and EHLO, with the transport's record cleared. */
    private void opened() {
        try {
            session = new RelaySession(t, policy,
                    RelaySettings.defaults("proxy.example.org").withRcptOrder(RcptOrder.UPSTREAM_FIRST),
                    new SessionInfo(InetAddress.getByName("192.0.2.7"), "client.example.net", Map.of(), true));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
        session.start();
        upstream(GREETING);
        client("EHLO client.example.net\r\n");
        upstream(EHLO_REPLY);
        t.clear();
    }

    @Test
    void theUpstreamsRefusalGoesBackUnchangedAndNothingIsDecided() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<nobody@y>\r\n");
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText(), "the RCPT waits for the MAIL's reply");
        upstream("250 2.1.0 ok\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<nobody@y>\r\n", t.upstreamText(), "then goes upstream at once");
        upstream(UNKNOWN);
        assertEquals("250 2.1.0 ok\r\n" + UNKNOWN, t.clientText());
        assertEquals(List.of("nobody@y"), policy.screened.stream().map(r -> r.recipient()).toList());
        assertTrue(policy.requests.isEmpty(), "no decision, so nothing written: " + policy.requests);
    }

    @Test
    void aGreylistedRecipientLeavesTheUpstreamsEnvelopeBeforeData() {
        opened();
        client("MAIL FROM:<a@x> SIZE=1000 BODY=8BITMIME\r\nRCPT TO:<ok@y>\r\nRCPT TO:<grey@y>\r\nRCPT TO:<nobody@y>\r\n"
                + "RCPT TO:<ok2@y>\r\nDATA\r\n");
        upstream("250 2.1.0 ok\r\n");
        assertEquals("MAIL FROM:<a@x> SIZE=1000 BODY=8BITMIME\r\nRCPT TO:<ok@y>\r\n", t.upstreamText(),
                "one RCPT at a time: the next waits for this one's fate");
        upstream("250 2.1.5 ok\r\n");
        upstream("250 2.1.5 grey ok\r\n");
        upstream(UNKNOWN);
        upstream("250 2.1.5 ok2\r\n");
        assertEquals("250 2.1.0 ok\r\n250 2.1.5 ok\r\n" + GREYLISTED + UNKNOWN + "250 2.1.5 ok2\r\n", t.clientText(),
                "one reply per command, in order; the upstream's 250 for grey@y never reaches the client");
        assertEquals(List.of("ok@y", "grey@y", "ok2@y"), policy.recipients(), "only what the upstream accepted is decided");
        String before = "MAIL FROM:<a@x> SIZE=1000 BODY=8BITMIME\r\nRCPT TO:<ok@y>\r\nRCPT TO:<grey@y>\r\n"
                + "RCPT TO:<nobody@y>\r\nRCPT TO:<ok2@y>\r\n";
        assertEquals(before + "RSET\r\n", t.upstreamText(), "DATA waits while the envelope is made again");
        upstream("250 2.0.0 reset\r\n");
        assertEquals(before + "RSET\r\nMAIL FROM:<a@x> SIZE=1000 BODY=8BITMIME\r\n", t.upstreamText());
        upstream("250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok2\r\n");
        assertEquals(before + "RSET\r\nMAIL FROM:<a@x> SIZE=1000 BODY=8BITMIME\r\nRCPT TO:<ok@y>\r\nRCPT TO:<ok2@y>\r\n"
                + "DATA\r\n", t.upstreamText());
        upstream("354 go ahead\r\n");
        client("Subject: x\r\n\r\nbody\r\n.\r\n");
        upstream("250 2.0.0 queued as ABC\r\n");
        assertEquals("250 2.1.0 ok\r\n250 2.1.5 ok\r\n" + GREYLISTED + UNKNOWN + "250 2.1.5 ok2\r\n354 go ahead\r\n"
                + "250 2.0.0 queued as ABC\r\n", t.clientText(), "the replies of the replay are the proxy's alone");
        assertTrue(t.upstreamText().endsWith("DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"));
    }

    @Test
    void withNoRecipientLeftDataIsRefusedHereAndTheUpstreamKeepsOnlyTheSender() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nDATA\r\n");
        upstream("250 ok\r\n250 grey ok\r\n");
        upstream("250 reset\r\n250 sender ok\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRSET\r\nMAIL FROM:<a@x>\r\n", t.upstreamText(),
                "the upstream never sees DATA");
        assertEquals("250 ok\r\n" + GREYLISTED + "554 5.5.1 No valid recipients\r\n", t.clientText());
        client("RCPT TO:<ok@y>\r\n");
        assertTrue(t.upstreamText().endsWith("MAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\n"),
                "the transaction goes on with the sender the upstream holds again");
        assertFalse(session.isClosed());
    }

    @Test
    void aBdatWaitsForTheEnvelopeAndItsChunkFollows() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRCPT TO:<ok@y>\r\nBDAT 5 LAST\r\nhello");
        upstream("250 ok\r\n250 grey ok\r\n250 ok ok\r\n");
        upstream("250 reset\r\n250 sender\r\n250 rcpt\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRCPT TO:<ok@y>\r\nRSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<ok@y>\r\n"
                + "BDAT 5 LAST\r\nhello", t.upstreamText());
        upstream("250 2.0.0 queued\r\n");
        assertEquals("250 ok\r\n" + GREYLISTED + "250 ok ok\r\n250 2.0.0 queued\r\n", t.clientText());
    }

    @Test
    void withNoRecipientLeftEveryChunkIsRefusedAndSkipped() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nBDAT 5\r\nhelloBDAT 3 LAST\r\nabcNOOP\r\n");
        upstream("250 ok\r\n250 grey ok\r\n250 reset\r\n250 sender\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRSET\r\nMAIL FROM:<a@x>\r\nRSET\r\nNOOP\r\n",
                t.upstreamText(), "no chunk, and none of its bytes read as a command; the refused LAST ends the"
                        + " upstream's transaction");
        upstream("250 reset\r\n250 noop\r\n");
        assertEquals("250 ok\r\n" + GREYLISTED + "554 5.5.1 No valid recipients\r\n554 5.5.1 No valid recipients\r\n"
                + "250 noop\r\n", t.clientText());
    }

    /**
     * A single {@code BDAT ... LAST} with no recipient left ends the transaction for the client: the upstream gets
     * the RSET alone, so the client's next MAIL is not a nested MAIL there (a 503 that could bounce that message).
     */
    @Test
    void aLastChunkWithNoRecipientLeftLeavesNoTransactionAtTheUpstream() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nBDAT 5 LAST\r\nhello");
        upstream("250 ok\r\n250 grey ok\r\n250 reset\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRSET\r\n", t.upstreamText(),
                "no MAIL FROM replayed for a transaction that has ended, and no chunk");
        client("MAIL FROM:<b@x>\r\n");
        upstream("250 ok\r\n");
        assertEquals("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRSET\r\nMAIL FROM:<b@x>\r\n", t.upstreamText());
        assertEquals("250 ok\r\n" + GREYLISTED + "554 5.5.1 No valid recipients\r\n250 ok\r\n", t.clientText());
    }

    @Test
    void anEnvelopeTheUpstreamNoLongerAcceptsEndsTheSessionRatherThanLoseARecipient() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nRCPT TO:<ok@y>\r\nDATA\r\nSubject: x\r\n");
        upstream("250 ok\r\n250 grey ok\r\n250 ok ok\r\n250 reset\r\n250 sender\r\n");
        upstream("452 4.5.3 Too many recipients\r\n");
        assertEquals("250 ok\r\n" + GREYLISTED + "250 ok ok\r\n421 4.3.0 proxy.example.org the server changed its answer"
                + " to the envelope, try again later, closing connection\r\n", t.clientText());
        assertFalse(t.upstreamText().contains("DATA"));
        assertTrue(session.isClosed());
    }

    @Test
    void aBlacklistedClientGets554AndTheUpstreamNeverHearsTheRcpt() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<black@y>\r\n");
        upstream("250 ok\r\n");
        assertEquals("MAIL FROM:<a@x>\r\n", t.upstreamText());
        assertEquals("250 ok\r\n554 5.7.1 <black@y>: mail from your address is refused\r\n", t.clientText());
    }

    @Test
    void aSkippedRecipientIsForwardedAndKeptInTheEnvelope() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\nAUTH PLAIN AGFAYg==\r\n");
        upstream("250 ok\r\n250 grey ok\r\n235 2.7.0 ok\r\n");
        client("RCPT TO:<grey2@y>\r\nDATA\r\n");
        upstream("250 grey2 ok\r\n");
        upstream("250 reset\r\n250 sender\r\n250 rcpt\r\n");
        assertTrue(t.upstreamText().endsWith("RCPT TO:<grey2@y>\r\nRSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<grey2@y>\r\nDATA\r\n"),
                t.upstreamText());
        assertEquals("authenticated", policy.screened.get(1).skip());
    }

    @Test
    void aSecondUpstreamRefusalMarksCommandErrors() {
        opened();
        client("MAIL FROM:<a@x>\r\nRCPT TO:<nobody@y>\r\n");
        upstream("250 ok\r\n" + UNKNOWN);
        client("RCPT TO:<ok@y>\r\n");
        assertFalse(policy.screened.get(1).session().behaviours().contains(Behaviour.COMMANDERRORS),
                "one refusal is a typo");
        upstream("250 ok\r\n");
        client("RCPT TO:<nobody2@y>\r\n");
        upstream("450 4.1.1 <nobody2@y>: Recipient address rejected: unverified address\r\n");
        client("RCPT TO:<ok3@y>\r\n");
        assertTrue(policy.screened.get(3).session().behaviours().contains(Behaviour.COMMANDERRORS),
                "two are a dictionary attack's signature");
    }

    @Test
    void theNullSenderIsStillDecidedAtData() {
        opened();
        client("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\nDATA\r\n");
        upstream("250 ok\r\n250 grey ok\r\n");
        assertTrue(policy.screened.isEmpty());
        assertEquals("MAIL FROM:<>\r\nRCPT TO:<grey@y>\r\n", t.upstreamText());
        assertEquals("250 ok\r\n250 grey ok\r\n" + GREYLISTED, t.clientText());
    }

    @Test
    void everyRecipientOfADictionaryAttackGetsTheUpstreamsAnswerInOrder() {
        opened();
        StringBuilder rcpts = new StringBuilder();
        StringBuilder replies = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            rcpts.append("RCPT TO:<guess").append(i).append("@y>\r\n");
            replies.append("550 5.1.1 <guess").append(i).append("@y>: User unknown\r\n");
        }
        client("MAIL FROM:<a@x>\r\n" + rcpts + "QUIT\r\n");
        upstream("250 ok\r\n");
        for (String line : replies.toString().split("(?<=\r\n)")) {
            upstream(line);
        }
        upstream("221 bye\r\n");
        assertEquals("250 ok\r\n" + replies + "221 bye\r\n", t.clientText());
        assertTrue(policy.requests.isEmpty());
    }
}
