package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.greylite.relay.RelaySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sender that reuses its connection sends RSET before each further message: Postfix's smtp client to find out
 * whether a cached connection is still usable, KumoMTA between any two messages. RSET is a junk command, and the
 * junk count never went down, so the 101st message of such a session got 421 4.7.0 too many commands. Postfix's
 * smtpd forgives a client its junk commands when a message was received (smtpd.c: "Forgive any previous client
 * errors when a message was received successfully"); so does the proxy now.
 */
class ConnectionReuseTest {

    private static final int MESSAGES = RelaySettings.DEFAULT_JUNK_COMMAND_LIMIT + 50;

    @TempDir
    Path dir;

    @Test
    void manyMessagesEachAfterAnRsetAllGoThrough() throws Exception {
        try (ScriptedUpstream up = new ScriptedUpstream();
             ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), up.address());
             RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            for (int i = 0; i < MESSAGES; i++) {
                c.command("RSET", 250);
                c.command("MAIL FROM:<list@example.org>", 250);
                c.command("RCPT TO:<postmaster@example.com>", 250);
                c.command("DATA", 354);
                c.command("Subject: " + i + "\r\n\r\nmessage " + i + "\r\n.", 250);
            }
            c.command("QUIT", 221);
            assertEquals(MESSAGES, up.messages.size());
        }
    }

    @Test
    void junkWithoutADeliveryStillEndsTheSession() throws Exception {
        try (ScriptedUpstream up = new ScriptedUpstream();
             ProxyHarness proxy = new ProxyHarness(dir.resolve("junk.db"), up.address());
             RawClient c = proxy.client()) {
            c.expect(220);
            c.command("EHLO client.example", 250);
            for (int i = 1; i < RelaySettings.DEFAULT_JUNK_COMMAND_LIMIT; i++) {
                c.command("NOOP", 250);
            }
            assertTrue(c.command("NOOP", 421).startsWith("421 4.7.0"), "the EHLO and 99 NOOPs were the 100 allowed");
        }
    }
}
