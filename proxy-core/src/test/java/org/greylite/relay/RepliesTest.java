package org.greylite.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.greylite.greylist.Verdict;
import org.junit.jupiter.api.Test;

class RepliesTest {

    private static final Verdict GREYLISTED =
            new Verdict(Verdict.Action.GREYLIST, Verdict.Reason.FIRST_ATTEMPT, "192.0.2.0/24", 1, 1, null, 300);

    private static String raw(org.greylite.smtp.Reply r) {
        return new String(r.raw(), StandardCharsets.US_ASCII);
    }

    @Test
    void theDefaultGreylistingReply() {
        assertEquals("451 4.7.1 <b@example.org>: greylisted, please retry in 300 seconds\r\n",
                raw(Replies.defaults("mx").forRefusal(GREYLISTED, "b@example.org")));
    }

    @Test
    void oneSecondIsSaidInTheSingular() {
        Verdict soon = new Verdict(Verdict.Action.GREYLIST, Verdict.Reason.EARLY_RETRY, "192.0.2.0/24", 1, 1, null, 1);
        assertEquals("451 4.7.1 <b@y>: greylisted, please retry in 1 second\r\n",
                raw(Replies.defaults("mx").forRefusal(soon, "b@y")));
    }

    @Test
    void aCustomTemplateMayNameTheRecipientAndTheWait() {
        Replies r = new Replies("mx", "450 4.2.0 <{rcpt}> try again in {seconds} s");
        assertEquals("450 4.2.0 <b@y> try again in 300 s\r\n", raw(r.forRefusal(GREYLISTED, "b@y")));
        assertEquals(450, r.forRefusal(GREYLISTED, "b@y").code());
    }

    @Test
    void disguisedRepliesAreOrdinaryTemporaryFailuresThatVary() {
        Replies r = new Replies("mx", Replies.DISGUISE);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            org.greylite.smtp.Reply reply = r.forRefusal(GREYLISTED, "b@y");
            assertTrue(reply.code() == 451 || reply.code() == 452, raw(reply));
            assertTrue(!raw(reply).toLowerCase().contains("greylist"), raw(reply));
            seen.add(raw(reply));
        }
        assertTrue(seen.size() > 1, "not always the same reply: " + seen);
    }

    @Test
    void theRecipientCannotInjectALineBreak() {
        String reply = raw(Replies.defaults("mx").forRefusal(GREYLISTED, "b@y\r\n250 ok"));
        assertEquals(1, reply.split("\r\n", -1).length - 1, reply);
        assertTrue(reply.contains("b@y??250 ok"), reply);
    }

    @Test
    void aTempfailVerdictHasItsOwnReply() {
        Verdict v = new Verdict(Verdict.Action.TEMPFAIL, Verdict.Reason.STORE_ERROR, "k", 0, -1, null, 0);
        assertEquals("451 4.3.0 greylisting is temporarily unavailable, try again later\r\n",
                raw(Replies.defaults("mx").forRefusal(v, "b@y")));
    }

    @Test
    void theTemplateMustBeOneTemporaryFailureLine() {
        assertThrows(IllegalArgumentException.class, () -> new Replies("mx", "550 5.7.1 go away"));
        assertThrows(IllegalArgumentException.class, () -> new Replies("mx", "451 a\r\n451 b"));
        assertThrows(IllegalArgumentException.class, () -> new Replies("mx", "451"));
        assertThrows(IllegalArgumentException.class, () -> new Replies("mx", "greylisted"));
    }

    @Test
    void relaySettingsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new RelaySettings(511, 0, Replies.defaults("mx")));
        assertThrows(IllegalArgumentException.class, () -> new RelaySettings(4096, -1, Replies.defaults("mx")));
        assertEquals(6000, RelaySettings.defaults("mx").withGreetDelayMillis(6000).greetDelayMillis());
        assertEquals(0, RelaySettings.defaults("mx").greetDelayMillis());
        assertEquals(4096, RelaySettings.defaults("mx").maxLineLength());
    }
}
