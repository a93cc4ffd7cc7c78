package org.greylite.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The XCLIENT introduction of the client to the upstream, driven through a fake transport. */
class RelayXclientTest {

    private static final String GREETING = "220 mx.example.org ESMTP\r\n";
    private static final String EHLO_WITH_XCLIENT =
            "250-mx.example.org\r\n250-PIPELINING\r\n250-XCLIENT NAME ADDR PROTO HELO\r\n250 8BITMIME\r\n";
    private static final String EHLO_PLAIN = "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n";

    private final FakeTransport t = new FakeTransport();
    private final CompletableFuture<String> ptrName = new CompletableFuture<>();
    private RelaySession session;

    private void start(String client) throws Exception {
        session = new RelaySession(t, new FakePolicy(), RelaySettings.defaults("proxy.example.org"),
                new SessionInfo(InetAddress.getByName(client), "", Map.of(), true));
        session.introduceWithXclient(new XclientIntroduction(ptrName));
        session.start();
        session.onUpstreamConnected();
        upstream(GREETING);
        t.clear();
    }

    private void client(String s) {
        session.onClientData(ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1)));
    }

    private void upstream(String s) {
        FakeTransport.repliesOneByOne(session, s);
    }

    @Test
    void ehloClientIsIntroducedThenItsOwnEhloIsRelayed() throws Exception {
        ptrName.complete("client.example.net");
        start("192.0.2.7");
        client("EHLO client.example.net\r\n");
        assertEquals("EHLO client.example.net\r\n", t.upstreamText());
        upstream(EHLO_WITH_XCLIENT);
        assertEquals("EHLO client.example.net\r\n"
                + "XCLIENT ADDR=192.0.2.7 NAME=client.example.net HELO=client.example.net PROTO=ESMTP\r\n",
                t.upstreamText());
        assertEquals("", t.clientText(), "the client sees nothing of the introduction");
        upstream("220 mx.example.org ESMTP\r\n");
        assertTrue(t.upstreamText().endsWith("PROTO=ESMTP\r\nEHLO client.example.net\r\n"));
        assertEquals("", t.clientText());
        upstream(EHLO_WITH_XCLIENT);
        assertEquals("250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n", t.clientText(),
                "the reply to the client's own EHLO, without XCLIENT");
    }

    @Test
    void commandsPipelinedBehindTheGreetingWaitForTheIntroduction() throws Exception {
        ptrName.complete("");
        start("192.0.2.7");
        client("EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n");
        upstream(EHLO_WITH_XCLIENT);
        assertFalse(t.upstreamText().contains("MAIL"), "nothing the upstream would attribute to the proxy");
        upstream("220 mx.example.org ESMTP\r\n");
        assertFalse(t.upstreamText().contains("MAIL"));
        upstream(EHLO_PLAIN);
        assertTrue(t.upstreamText().endsWith("EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n"), t.upstreamText());
        upstream("250 2.1.0 Ok\r\n");
        assertEquals(EHLO_PLAIN + "250 2.1.0 Ok\r\n", t.clientText());
    }

    @Test
    void theXclientCommandWaitsForThePtrLookup() throws Exception {
        start("192.0.2.7");
        client("EHLO c.example\r\n");
        upstream(EHLO_WITH_XCLIENT);
        assertFalse(t.upstreamText().contains("XCLIENT"), "not before the name is known");
        ptrName.complete("");
        assertTrue(t.upstreamText().contains("XCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE] HELO=c.example PROTO=ESMTP\r\n"),
                t.upstreamText());
    }

    @Test
    void aFailedLookupIsSentAsTemporarilyUnavailable() throws Exception {
        start("192.0.2.7");
        client("EHLO c.example\r\n");
        upstream(EHLO_WITH_XCLIENT);
        ptrName.completeExceptionally(new java.io.IOException("DNS timeout"));
        assertTrue(t.upstreamText().contains("NAME=[TEMPUNAVAIL]"), t.upstreamText());
    }

    @Test
    void heloClientIsProbedWithEhloAndIntroducedAsSmtp() throws Exception {
        ptrName.complete("");
        start("192.0.2.7");
        client("HELO old.example\r\n");
        assertEquals("EHLO old.example\r\n", t.upstreamText());
        upstream(EHLO_WITH_XCLIENT);
        assertTrue(t.upstreamText().endsWith("HELO=old.example PROTO=SMTP\r\n"), t.upstreamText());
        upstream("220 mx.example.org ESMTP\r\n");
        assertTrue(t.upstreamText().endsWith("HELO old.example\r\n"));
        upstream("250 mx.example.org\r\n");
        assertEquals("250 mx.example.org\r\n", t.clientText());
    }

    @Test
    void aBareHeloIsProbedWithTheProxysNameAndItselfAnsweredByTheUpstream() throws Exception {
        ptrName.complete("");
        start("192.0.2.7");
        client("HELO\r\n");
        assertEquals("EHLO proxy.example.org\r\n", t.upstreamText(), "never an EHLO with an empty name");
        upstream(EHLO_WITH_XCLIENT);
        assertTrue(t.upstreamText().endsWith("XCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE] HELO=[UNAVAILABLE] PROTO=SMTP\r\n"),
                "the proxy's name is not the client's: " + t.upstreamText());
        upstream("220 mx.example.org ESMTP\r\n");
        assertTrue(t.upstreamText().endsWith("PROTO=SMTP\r\nHELO\r\n"), t.upstreamText());
        upstream("501 Syntax: HELO hostname\r\n");
        assertEquals("501 Syntax: HELO hostname\r\n", t.clientText(), "the upstream's answer to the client's HELO");
        t.clear();
        client("HELO old.example\r\n");
        assertEquals("HELO old.example\r\n", t.upstreamText(), "introduced already: the next greeting goes as it is");
    }

    @Test
    void aBareEhloIsProbedWithTheProxysNameAndItselfAnsweredByTheUpstream() throws Exception {
        ptrName.complete("client.example.net");
        start("192.0.2.7");
        client("EHLO\r\n");
        assertEquals("EHLO proxy.example.org\r\n", t.upstreamText());
        upstream(EHLO_WITH_XCLIENT);
        upstream("220 mx.example.org ESMTP\r\n");
        assertTrue(t.upstreamText().endsWith(
                "XCLIENT ADDR=192.0.2.7 NAME=client.example.net HELO=[UNAVAILABLE] PROTO=ESMTP\r\nEHLO\r\n"),
                t.upstreamText());
        assertEquals("", t.clientText(), "the probe's reply is not the client's");
        upstream("501 Syntax: EHLO hostname\r\n");
        assertEquals("501 Syntax: EHLO hostname\r\n", t.clientText());
    }

    @Test
    void aBareGreetingToAClosingUpstreamGetsIts421() throws Exception {
        ptrName.complete("");
        start("192.0.2.7");
        client("HELO\r\n");
        upstream("421 4.3.2 mx.example.org service shutting down\r\n");
        assertEquals("EHLO proxy.example.org\r\n", t.upstreamText(), "nothing more to an upstream that is closing");
        assertEquals("421 4.3.2 mx.example.org service shutting down\r\n", t.clientText());
        assertTrue(t.clientClosed);
    }

    /**
     * An upstream that does not offer XCLIENT to the proxy would take every client for the proxy, an address it often
     * trusts (Postfix's default mynetworks, permit_mynetworks: relaying anywhere): the session ends with 421, and
     * neither the client's greeting nor anything after it reaches the upstream. It used to go on as from the proxy.
     */
    @ParameterizedTest
    @ValueSource(strings = {"EHLO c.example", "HELO old.example", "EHLO", "HELO"})
    void anUpstreamWithoutXclientEndsTheSessionWith421(String greeting) throws Exception {
        ptrName.complete("");
        start("192.0.2.7");
        client(greeting + "\r\n");
        upstream(EHLO_PLAIN);
        String probe = greeting.startsWith("EHLO ") ? greeting : "EHLO " + (greeting.length() > 4
                ? greeting.substring(5) : "proxy.example.org");
        assertEquals(probe + "\r\n", t.upstreamText(), "the probe alone: the greeting is not sent");
        assertTrue(t.clientText().startsWith("421 4.3.0 "), t.clientText());
        assertTrue(t.clientClosed && t.upstreamCloses.contains(true), t.upstreamCloses.toString());
    }

    /**
     * An upstream that refuses XCLIENT for this client (a Postfix listening for IPv4 alone refuses an IPv6 ADDR):
     * the session ends with 421, as above, where it used to go on as from the proxy's address.
     */
    @Test
    void aRefusedXclientEndsTheSessionWith421() throws Exception {
        ptrName.complete("");
        start("2001:db8::7");
        client("EHLO c.example\r\n");
        upstream(EHLO_WITH_XCLIENT);
        upstream("501 5.5.4 Bad ADDR syntax: IPV6:2001:db8::7\r\n");
        assertTrue(t.clientText().startsWith("421 4.3.0 "), t.clientText());
        assertTrue(t.clientClosed && t.upstreamCloses.contains(true), t.upstreamCloses.toString());
        client("MAIL FROM:<a@example.com>\r\n");
        assertFalse(t.upstreamText().contains("MAIL FROM"), t.upstreamText());
    }

    @Test
    void theIntroductionHappensOncePerSession() throws Exception {
        ptrName.complete("");
        start("192.0.2.7");
        client("EHLO c.example\r\n");
        upstream(EHLO_WITH_XCLIENT);
        upstream("220 mx.example.org ESMTP\r\n");
        upstream(EHLO_PLAIN);
        t.clear();
        client("EHLO again.example\r\n");
        assertEquals("EHLO again.example\r\n", t.upstreamText());
        upstream(EHLO_PLAIN);
        assertEquals(EHLO_PLAIN, t.clientText());
    }

    @Test
    void aClosingUpstreamEndsTheSession() throws Exception {
        ptrName.complete("");
        start("192.0.2.7");
        client("EHLO c.example\r\n");
        upstream(EHLO_WITH_XCLIENT);
        upstream("421 4.3.0 shutting down\r\n");
        assertEquals("421 4.3.0 shutting down\r\n", t.clientText());
        assertTrue(t.clientClosed);
    }

    @Test
    void commandLineEncodesAddressesAndValues() throws Exception {
        assertEquals("XCLIENT ADDR=IPV6:2001:db8::1 NAME=h.example HELO=a+2Bb+3Dc PROTO=ESMTP\r\n",
                new String(XclientIntroduction.command(InetAddress.getByName("2001:db8::1"), "h.example", "a+b=c", true),
                        StandardCharsets.ISO_8859_1));
        assertEquals("XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE] HELO=[UNAVAILABLE] PROTO=SMTP\r\n",
                new String(XclientIntroduction.command(InetAddress.getByName("192.0.2.1"), "", "", false),
                        StandardCharsets.ISO_8859_1), "no HELO name, said so: the upstream must not keep the probe's");
        assertEquals("XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE] PROTO=SMTP\r\n",
                new String(XclientIntroduction.command(InetAddress.getByName("192.0.2.1"), "", "x".repeat(300), false),
                        StandardCharsets.ISO_8859_1), "a HELO name too long for the upstream is left out");
        assertEquals("a+20b+E9", XclientIntroduction.xtext("a b\u00e9"));
    }
}
