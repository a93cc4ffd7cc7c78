package org.greylite.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

/**
 * What a message relayed by one test Postfix to another, through a greylisting program between them, must show:
 * the sender's log, and the message as the receiver delivered it.
 */
public final class RelayedThroughGreylisting {

    private RelayedThroughGreylisting() {
    }

    /**
     * {@code sender}'s first attempt for {@code recipient} was deferred by the greylisting reply in answer to
     * {@code inReplyTo} ("RCPT TO", "DATA"), and a later one sent it; none bounced.
     */
    public static void assertGreylistedThenSent(PostfixServer sender, String recipient, String inReplyTo) {
        List<String> lines = sender.deliveryLines(recipient);
        assertTrue(lines.size() >= 2, "a deferral, then the delivery: " + lines);
        assertTrue(lines.get(0).contains("status=deferred (host 127.0.0.1[127.0.0.1] said: 451 4.7.1 <")
                && lines.get(0).contains(">: greylisted, please retry in ")
                && lines.get(0).endsWith("(in reply to " + inReplyTo + " command))"),
                "the first attempt is deferred with the greylisting reply, which Postfix logs as it came: " + lines.get(0));
        assertTrue(lines.get(lines.size() - 1).contains("status=sent (250 2.0.0 Ok: queued as "), lines.toString());
        assertFalse(lines.stream().anyMatch(l -> l.contains("status=bounced")), lines.toString());
    }

    /**
     * The message as delivered, less the Received headers the two Postfix instances put on top (the receiver's,
     * then the sender's): the only lines a relay may add. The program between them adds none.
     */
    public static String withoutTwoReceivedHeaders(String delivered) {
        String rest = delivered;
        for (int i = 0; i < 2; i++) {
            assertTrue(rest.startsWith("Received: "), "a Received header on top: " + delivered);
            rest = rest.substring(rest.indexOf('\n') + 1);
            while (rest.startsWith("\t") || rest.startsWith(" ")) {
                rest = rest.substring(rest.indexOf('\n') + 1);
            }
        }
        return rest;
    }
}
