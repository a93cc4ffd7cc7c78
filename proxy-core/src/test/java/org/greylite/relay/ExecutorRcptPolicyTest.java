package org.greylite.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.ThrowOnce;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** What memory decides is answered on the caller's thread; the rest goes to the executor that owns the greydb. */
class ExecutorRcptPolicyTest {

    @TempDir
    java.nio.file.Path dir;

    private static RcptRequest rcpt(String to, String skip) throws Exception {
        return new RcptRequest(InetAddress.getByName("192.0.2.7"),
                new ClientFacts("192.0.2.7", "", "mx.example.net", "a@example.net", to, Map.of(), Set.of()), skip);
    }

    @Test
    void onlyWhatNeedsTheGreydbGoesToTheExecutor() throws Exception {
        try (GreylistStore store = GreylistStores.sqlite(dir.resolve("greylite.db"), java.time.Duration.ofSeconds(5))) {
            Greylister greylister = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(),
                    Clock.systemUTC(), DecisionListener.NONE);
            List<Runnable> handedOver = new ArrayList<>();
            Executor greydbThread = handedOver::add;
            ExecutorRcptPolicy policy = new ExecutorRcptPolicy(greylister, greydbThread);
            List<Verdict> verdicts = new ArrayList<>();

            policy.decide(rcpt("b@example.org", "RELAYCLIENT"), System.nanoTime(), verdicts::add);
            assertEquals(1, verdicts.size(), "answered before decide returned");
            assertEquals(Verdict.Reason.SKIPPED, verdicts.get(0).reason());
            assertTrue(handedOver.isEmpty());

            policy.decide(rcpt("b@example.org", null), System.nanoTime(), verdicts::add);
            assertEquals(1, verdicts.size(), "a greydb decision is not taken on the caller's thread");
            assertEquals(1, handedOver.size());
            handedOver.get(0).run();
            assertEquals(Verdict.Reason.FIRST_ATTEMPT, verdicts.get(1).reason());
        }
    }

    /**
     * As a pattern too deep for the regex engine's stack did, and as a class does that cannot be loaded once a
     * package upgrade has replaced the jars under the running program: the rules themselves fail.
     */
    @ParameterizedTest
    @ValueSource(classes = {StackOverflowError.class, NoClassDefFoundError.class, IllegalStateException.class})
    void aDecisionThatFailsUnforeseenIsStillAnsweredWithATemporaryRefusal(Class<? extends Throwable> kind) throws Exception {
        ThrowOnce failure = ThrowOnce.of(kind);
        try (GreylistStore store = GreylistStores.sqlite(dir.resolve("greylite.db"), java.time.Duration.ofSeconds(5))) {
            SuspicionPolicy failing = facts -> {
                failure.now();
                throw new AssertionError("asked once only");
            };
            Greylister greylister = new Greylister(store, failing, GreylistSettings.defaults(), Clock.systemUTC(),
                    DecisionListener.NONE);
            ExecutorRcptPolicy policy = new ExecutorRcptPolicy(greylister, Runnable::run);
            List<Verdict> verdicts = new ArrayList<>();
            policy.decide(rcpt("b@example.org", null), System.nanoTime(), verdicts::add);
            assertEquals(1, verdicts.size(), "answered");
            assertEquals(Verdict.Reason.STORE_ERROR, verdicts.get(0).reason());
            assertTrue(!verdicts.get(0).accepted(), verdicts.get(0).toString());
        }
    }

    /**
     * The ERROR line of a decision that failed unforeseen names the recipient as every log line shows a client's text:
     * it held the recipient exactly as sent, so a client could write a C1 escape, a line separator or a right-to-left
     * override into it.
     */
    @Test
    void theLineOfAnUnforeseenFailureShowsTheRecipientAsTheDecisionLineDoes() throws Exception {
        Logger log = (Logger) LoggerFactory.getLogger(ExecutorRcptPolicy.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try (GreylistStore store = GreylistStores.sqlite(dir.resolve("greylite.db"), java.time.Duration.ofSeconds(5))) {
            SuspicionPolicy failing = facts -> {
                throw new IllegalStateException("a defect");
            };
            Greylister greylister = new Greylister(store, failing, GreylistSettings.defaults(), Clock.systemUTC(),
                    DecisionListener.NONE);
            ExecutorRcptPolicy policy = new ExecutorRcptPolicy(greylister, Runnable::run);
            // RIGHT-TO-LEFT OVERRIDE, the C1 CSI (U+009B), LINE SEPARATOR and a space.
            policy.decide(rcpt("\u202egro.elpmaxe@b\u009b2J\u2028fake line", null), System.nanoTime(), verdict -> { });
        } finally {
            log.detachAppender(lines);
        }
        assertEquals(1, lines.list.size(), lines.list.toString());
        String line = lines.list.get(0).getFormattedMessage();
        assertEquals("cannot decide the RCPT to <?gro.elpmaxe@b?2J?fake?line>; answered 451 4.3.0", line);
    }
}
