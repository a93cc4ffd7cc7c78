package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylited with --upstream-xclient, seen from a client on a real socket, with a recording upstream that offers
 * XCLIENT and answers as Postfix does: the exact commands the upstream gets when the client is introduced.
 * (UpstreamPostfixTest has a real Postfix act on the introduction.)
 */
class UpstreamXclientTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    ProxyHarness proxy;

    @BeforeEach
    void start() throws IOException {
        proxy = new ProxyHarness(dir.resolve("greylite.db"), upstream.address(), SuspicionPolicy.NONE,
                RelaySettings.defaults("proxy.test"), b -> b.upstreamXclient(true));
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
    }

    @Test
    void aClientNamedInItsEhloIsIntroducedUnderThatName() throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            c.command("QUIT", 221);
        }
        assertEquals(List.of("EHLO client.example",
                "XCLIENT ADDR=127.0.0.1 NAME=[TEMPUNAVAIL] HELO=client.example PROTO=ESMTP",
                "EHLO client.example", "QUIT"), upstream.commands);
    }

    @Test
    void aBareHeloGetsTheUpstreamsAnswerAfterTheIntroduction() throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            assertEquals("501 Syntax: HELO hostname", c.command("HELO", 501));
            c.command("HELO client.example", 250);
            c.command("QUIT", 221);
        }
        assertEquals(List.of("EHLO proxy.test",
                "XCLIENT ADDR=127.0.0.1 NAME=[TEMPUNAVAIL] HELO=[UNAVAILABLE] PROTO=SMTP",
                "HELO", "HELO client.example", "QUIT"), upstream.commands);
    }

    @Test
    void aBareEhloGetsTheUpstreamsAnswerAfterTheIntroduction() throws IOException {
        try (RawClient c = proxy.client()) {
            c.expect(220);
            assertEquals("501 Syntax: EHLO hostname", c.command("EHLO ", 501));
            c.command("EHLO client.example", 250);
            c.command("QUIT", 221);
        }
        assertEquals(List.of("EHLO proxy.test",
                "XCLIENT ADDR=127.0.0.1 NAME=[TEMPUNAVAIL] HELO=[UNAVAILABLE] PROTO=ESMTP",
                "EHLO ", "EHLO client.example", "QUIT"), upstream.commands);
    }

    /**
     * An upstream that does not offer XCLIENT to greylited would take the client for greylited, whose address it may
     * trust: the client gets 421 and nothing of its own reaches the upstream. It used to be relayed as from
     * greylited, a warning said once.
     */
    @Test
    void withoutXclientOfferedTheSessionEndsWith421() throws IOException {
        upstream.extensions = "PIPELINING\r\n250 8BITMIME";
        try (RawClient c = proxy.client()) {
            c.expect(220);
            String reply = c.command("EHLO client.example", 421);
            assertTrue(reply.startsWith("421 4.3.0 proxy.test "), reply);
        }
        assertEquals(List.of("EHLO client.example"), upstream.commands, "the probe alone");
    }
}
