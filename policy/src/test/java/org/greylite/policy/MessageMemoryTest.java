package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** The bounds of what is remembered of Postfix's messages between their requests: an age limit and a count. */
class MessageMemoryTest {

    /** The monotonic clock the memory goes by, moved by hand; from a negative value, as System.nanoTime may be. */
    private static final class Nanos implements LongSupplier {
        private long now = -Duration.ofDays(1).toNanos();

        void advance(Duration d) {
            now += d.toNanos();
        }

        @Override
        public long getAsLong() {
            return now;
        }
    }

    @Test
    void theRecipientsAreDecidedOnceThenTheMessageSaysSo() {
        MessageMemory memory = new MessageMemory(new Nanos());
        memory.addNullSenderRecipient("instance a", "one@example.org");
        memory.addNullSenderRecipient("instance a", "two@example.org");
        assertEquals(List.of("one@example.org", "two@example.org"), memory.takeForDataDecision("instance a"));
        assertNull(memory.takeForDataDecision("instance a"), "END-OF-MESSAGE after DATA: decided already");
        assertEquals(List.of(), memory.takeForDataDecision("instance b"), "a message no RCPT request named");
    }

    @Test
    void aMessageKeepsEachRecipientOnceAndAtMostPostfixsRecipientLimit() {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(MessageMemory.class);
        MessageMemory memory = new MessageMemory(new Nanos());
        memory.addNullSenderRecipient("instance a", "one@example.org");
        memory.addNullSenderRecipient("instance a", "one@example.org");
        memory.addNullSenderRecipient("instance a", "two@example.org");
        assertEquals(List.of("one@example.org", "two@example.org"), memory.takeForDataDecision("instance a"),
                "a recipient named twice is decided once");

        List<String> named = new ArrayList<>();
        for (int i = 0; i < MessageMemory.MAX_RECIPIENTS + 500; i++) {
            named.add("r" + i + "@example.org");
            memory.addNullSenderRecipient("instance b", "r" + i + "@example.org");
        }
        memory.addNullSenderRecipient("instance b", "r0@example.org"); // named again at the cap: no warning of its own
        List<String> decided = memory.takeForDataDecision("instance b");
        assertEquals(MessageMemory.MAX_RECIPIENTS, decided.size());
        assertEquals(named.subList(0, MessageMemory.MAX_RECIPIENTS), decided, "the first ones named");
        String lines = TestPolicy.lines(log);
        assertEquals(1, log.list.size(), "one warning for the message:\n" + lines);
        assertTrue(lines.contains("instance b") && lines.contains("more than 1000 recipients"), lines);
    }

    @Test
    void theHeaderIsGivenOncePerMessage() {
        MessageMemory memory = new MessageMemory(new Nanos());
        Object first = new Object();
        assertTrue(memory.claimHeader("instance a", first));
        assertFalse(memory.claimHeader("instance a", new Object()), "another request of the message");
        assertTrue(memory.claimHeader("instance a", first), "the same request, decided again");
        assertTrue(memory.claimHeader("instance b", new Object()));
    }

    @Test
    void aMessageIsForgottenTenMinutesAfterItsLastRequest() {
        Nanos clock = new Nanos();
        MessageMemory memory = new MessageMemory(clock);
        memory.addNullSenderRecipient("instance probe", "one@example.org");
        memory.addNullSenderRecipient("instance slow", "one@example.org");
        clock.advance(Duration.ofMinutes(9));
        memory.addNullSenderRecipient("instance slow", "two@example.org"); // a request keeps it
        clock.advance(Duration.ofMinutes(2));
        assertEquals(1, memory.size(), "the probe that never reached DATA is forgotten");
        assertEquals(List.of("one@example.org", "two@example.org"), memory.takeForDataDecision("instance slow"));
        clock.advance(MessageMemory.MAX_IDLE);
        assertEquals(0, memory.size());
    }

    /**
     * Where main.cf asks the service at RCPT only, as a postgrey site's does, the null sender's recipients wait for a
     * DATA request that never comes, and its mail is never greylisted: the first such message forgotten says so, once.
     */
    @Test
    void aNullSendersMessageForgottenBeforeAnyDataRequestCameSaysWhatMainCfLacks() {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(MessageMemory.class);
        Nanos clock = new Nanos();
        MessageMemory memory = new MessageMemory(clock);
        memory.addNullSenderRecipient("instance bounce1", "one@example.org");
        memory.addNullSenderRecipient("instance bounce2", "two@example.org");
        clock.advance(MessageMemory.MAX_IDLE.plusSeconds(1));
        assertEquals(0, memory.size());
        String lines = TestPolicy.lines(log);
        assertEquals(1, log.list.size(), "once:\n" + lines);
        assertTrue(lines.contains("smtpd_data_restrictions") && lines.contains("instance bounce1"), lines);
    }

    /** Once a request has come at DATA, Postfix asks there: a probe's message forgotten says nothing. */
    @Test
    void aProbeForgottenAfterADataRequestCameSaysNothing() {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(MessageMemory.class);
        Nanos clock = new Nanos();
        MessageMemory memory = new MessageMemory(clock);
        memory.askedAtData();
        memory.addNullSenderRecipient("instance probe", "one@example.org");
        clock.advance(MessageMemory.MAX_IDLE.plusSeconds(1));
        assertEquals(0, memory.size());
        assertEquals(List.of(), log.list);
    }

    @Test
    void pastTheCapTheLeastRecentlyAskedAboutIsForgotten() {
        MessageMemory memory = new MessageMemory(new Nanos(), 3);
        for (String m : new String[] {"a", "b", "c"}) {
            memory.addNullSenderRecipient("instance " + m, m + "@example.org");
        }
        memory.addNullSenderRecipient("instance a", "a2@example.org"); // a asked about last: b is the eldest now
        memory.addNullSenderRecipient("instance d", "d@example.org");
        assertEquals(3, memory.size());
        assertEquals(List.of(), memory.takeForDataDecision("instance b"), "b forgotten");
        assertEquals(List.of("a@example.org", "a2@example.org"), memory.takeForDataDecision("instance a"));
    }

    /**
     * The recipients of all messages together are bounded in bytes, not only in count: 40 messages of 1,000
     * recipients of 1,000 characters (Postfix passes on addresses of 2,000) were all kept, and a few hundred such
     * filled the service's heap. Past the bound the least recently asked-about messages go, with one warning; the
     * message being named stays whole.
     */
    @Test
    void theRecipientsOfAllMessagesTakeBoundedMemory() {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(MessageMemory.class);
        MessageMemory memory = new MessageMemory(new Nanos());
        memory.addNullSenderRecipient("instance bounce", "bounced@example.org");
        String padding = "x".repeat(1000);
        for (int m = 0; m < 40; m++) {
            for (int r = 0; r < MessageMemory.MAX_RECIPIENTS; r++) {
                memory.addNullSenderRecipient("instance flood" + m, padding + m + "-" + r + "@example.org");
            }
        }
        assertTrue(memory.recipientBytes() <= MessageMemory.MAX_RECIPIENT_BYTES, memory.recipientBytes() + " bytes");
        assertEquals(List.of(), memory.takeForDataDecision("instance bounce"), "the eldest message is forgotten");
        assertEquals(MessageMemory.MAX_RECIPIENTS, memory.takeForDataDecision("instance flood39").size(),
                "the last one named is whole");
        String lines = TestPolicy.lines(log);
        assertEquals(1, log.list.size(), "one warning, not one per request:\n" + lines);
        assertTrue(lines.contains("reached 32 MiB"), lines);
    }

    /**
     * A client naming a new null-sender message at every request, past the cap, had each one forget another with a
     * warning of its own: a line in the log per request. One a minute now, with the count.
     */
    @Test
    void messagesForgottenForTheCapAreSaidOnceAMinuteNotOncePerRequest() {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(MessageMemory.class);
        Nanos clock = new Nanos();
        MessageMemory memory = new MessageMemory(clock, 3);
        memory.askedAtData();
        for (int m = 0; m < 100; m++) {
            memory.addNullSenderRecipient("instance flood" + m, "r@example.org");
        }
        assertEquals(1, log.list.size(), TestPolicy.lines(log));
        clock.advance(Duration.ofMinutes(1));
        memory.addNullSenderRecipient("instance late", "r@example.org");
        String lines = TestPolicy.lines(log);
        assertEquals(2, log.list.size(), lines);
        assertTrue(lines.contains("3 Postfix messages remembered: 97 message(s)"), lines);
    }

    @Test
    void aRequestWithoutInstanceIsRememberedUnderItsConnection() {
        PolicyRequest without = new PolicyRequest(Map.of("protocol_state", "RCPT"));
        PolicyRequest with = new PolicyRequest(Map.of("instance", "1a2b.3c"));
        assertEquals("connection 127.0.0.1:4000 #7", MessageMemory.key(without, "127.0.0.1:4000 #7"));
        assertEquals("instance 1a2b.3c", MessageMemory.key(with, "127.0.0.1:4000 #7"));
    }
}
