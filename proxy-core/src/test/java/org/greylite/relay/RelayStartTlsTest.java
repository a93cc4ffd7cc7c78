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

import org.junit.jupiter.api.Test;

/** STARTTLS answered by the relay when its transport can terminate TLS (RFC 3207), through a fake transport. */
class RelayStartTlsTest {

    private static final String GREETING = "220 mx.example.org ESMTP\r\n";
    private static final String EHLO_REPLY = "250-mx.example.org\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n";
    private static final String EHLO_WITH_OURS = "250-mx.example.org\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n";
    private static final String READY = "220 2.0.0 Ready to start TLS\r\n";

    private final FakeTransport t = new FakeTransport();
    private final FakePolicy policy = new FakePolicy();
    private RelaySession session;

    private void client(String s) {
        session.onClientData(ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private void upstream(String s) {
        FakeTransport.repliesOneByOne(session, s);
    }

    /** A session past the greeting and a first EHLO, with the transport's record cleared. */
    private void opened(boolean tls) throws UnknownHostException {
        t.tlsAvailable = tls;
        session = new RelaySession(t, policy, RelaySettings.defaults("proxy.example.org"),
                new SessionInfo(InetAddress.getByName("192.0.2.7"), "", Map.of(), true));
        session.start();
        upstream(GREETING);
        client("EHLO client.example.net\r\n");
        upstream(EHLO_REPLY);
        t.clear();
    }

    @Test
    void theProxysOwnStartTlsIsAdvertisedInPlaceOfTheUpstreams() throws UnknownHostException {
        opened(true);
        client("EHLO again.example.net\r\n");
        upstream(EHLO_REPLY);
        assertEquals(EHLO_WITH_OURS, t.clientText());
    }

    @Test
    void aOneLineEhloReplyBecomesTwoLines() throws UnknownHostException {
        opened(true);
        client("EHLO again.example.net\r\n");
        upstream("250 mx.example.org\r\n");
        assertEquals("250-mx.example.org\r\n250 STARTTLS\r\n", t.clientText());
    }

    @Test
    void withoutTlsNothingChanges() throws UnknownHostException {
        opened(false);
        client("EHLO again.example.net\r\nSTARTTLS\r\n");
        upstream(EHLO_REPLY);
        assertEquals("250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n454 4.7.0 TLS not available\r\n",
                t.clientText());
        assertEquals(0, t.tlsStarts);
    }

    @Test
    void startTlsIsAnsweredHereThenTlsStartsAndTheSessionBeginsAfresh() throws UnknownHostException {
        opened(true);
        client("MAIL FROM:<a@x>\r\n");
        upstream("250 2.1.0 ok\r\n");
        // Inside a transaction STARTTLS is refused: the proxy would forget the sender, the upstream would not.
        client("STARTTLS\r\n");
        assertEquals(List.of("upstream: MAIL FROM:<a@x>\r\n", "client: 250 2.1.0 ok\r\n",
                "client: 503 5.5.1 Error: MAIL transaction in progress\r\n"), t.events);
        client("RSET\r\n");
        upstream("250 2.0.0 ok\r\n");
        t.clear();
        client("STARTTLS\r\n");
        assertEquals(List.of("client: " + READY, "start tls"), t.events,
                "STARTTLS is not forwarded; TLS starts right after the 220");
        session.onClientTlsStarted();

        // RFC 3207: what was said before TLS is forgotten; a RCPT without a new MAIL is refused, not decided.
        client("EHLO client.example.net\r\n");
        upstream(EHLO_REPLY);
        assertTrue(t.clientText().endsWith("250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
                "no STARTTLS offered under TLS: " + t.clientText());
        client("RCPT TO:<grey@y>\r\n");
        assertTrue(t.upstreamText().endsWith("EHLO client.example.net\r\n"), t.upstreamText());
        assertTrue(t.clientText().endsWith("503 5.5.1 Error: need MAIL command\r\n"), t.clientText());
        assertEquals(0, policy.requests.size());

        client("MAIL FROM:<a@x>\r\nRCPT TO:<grey@y>\r\n");
        upstream("250 2.1.0 ok\r\n");
        assertEquals(List.of("grey@y"), policy.recipients(), "greylisting decides on the decrypted envelope");
        assertTrue(t.clientText().endsWith("451 4.7.1 <grey@y>: greylisted, please retry in 300 seconds\r\n"));

        client("STARTTLS\r\n");
        assertTrue(t.clientText().endsWith("503 5.5.1 TLS already active\r\n"));
        assertEquals(1, t.tlsStarts);
    }

    @Test
    void commandsPipelinedAfterStartTlsAreThrownAway() throws UnknownHostException {
        opened(true);
        client("STARTTLS\r\nMAIL FROM:<injected@x>\r\nRCPT TO:<victim@y>\r\n");
        client("DATA\r\n"); // still before the handshake: sent in clear too
        assertEquals(READY, t.clientText());
        assertEquals("", t.upstreamText());
        session.onClientTlsStarted();
        client("EHLO client.example.net\r\n");
        assertEquals("EHLO client.example.net\r\n", t.upstreamText(), "nothing sent in clear after STARTTLS was run");
        assertTrue(policy.requests.isEmpty());
    }

    @Test
    void theReadyReplyWaitsForTheRepliesOwedBeforeIt() throws UnknownHostException {
        opened(true);
        client("NOOP\r\nSTARTTLS\r\n");
        assertEquals(0, t.tlsStarts, "the 220 must not overtake the NOOP's reply");
        upstream("250 2.0.0 ok\r\n");
        assertEquals("250 2.0.0 ok\r\n" + READY, t.clientText());
        assertEquals(1, t.tlsStarts);
    }

    @Test
    void startTlsWithAParameterIsASyntaxError() throws UnknownHostException {
        opened(true);
        client("STARTTLS now\r\nNOOP\r\n");
        upstream("250 2.0.0 ok\r\n");
        assertEquals("501 5.5.4 STARTTLS takes no parameters\r\n250 2.0.0 ok\r\n", t.clientText());
        assertEquals(0, t.tlsStarts);
        assertFalse(session.isClosed());
    }
}
