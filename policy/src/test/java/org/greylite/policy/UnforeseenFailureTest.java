package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.ThrowOnce;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A decision that fails in a way nothing foresaw (a defect; a regular expression too deep for the stack; a class
 * that cannot be loaded once a package upgrade has replaced the jars under the running service) is answered
 * {@code DUNNO}, as greylite-policy answers any decision it cannot make, and the service goes on: with an SQLite
 * greydb the decision runs on the I/O thread that serves every connection, which an Error must not end.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnforeseenFailureTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(classes = {NoClassDefFoundError.class, StackOverflowError.class, IllegalStateException.class})
    void theFailedRequestIsAnsweredDunnoAndTheNextOneIsDecided(Class<? extends Throwable> kind) throws Exception {
        ThrowOnce failure = ThrowOnce.of(kind);
        SuspicionPolicy failingOnce = facts -> {
            failure.now();
            return Suspicion.NONE;
        };
        Clock clock = Clock.systemUTC();
        PolicyMetrics metrics = new PolicyMetrics();
        try (GreylistStore store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5))) {
            PolicyDecisions decisions = new PolicyDecisions(store, failingOnce, GreylistSettings.defaults(),
                    KnownSenders.NONE, clock, metrics);
            DecisionTurn turn = new DecisionTurn(decisions); // as RunningPolicy runs an SQLite greydb
            Answers answers = new Answers(Answers.DEFAULT_ACTION, Answers.DEFAULT_TEXT, null, "mx.example.org", clock);
            PolicyService service = new PolicyService(decisions, () -> PostgreyWhitelists.NONE, answers, turn, metrics,
                    null, null, new MessageMemory(clock));
            try (PolicyServer server = new PolicyServer(service, turn).listenTcp(new InetSocketAddress("127.0.0.1", 0), 16)
                    .start();
                 PolicyClient client = PolicyClient.tcp(server.tcpAddress())) {
                assertEquals("DUNNO", client.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
                assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds",
                        client.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "c@example.org")),
                        "the service still decides");
            }
        }
    }

    /**
     * A failure out of the I/O loop's own work on a connection (here the hand-over of its request, refused as a
     * stopped pool refuses one) closes that connection only: the loop that serves every other one goes on.
     */
    @ParameterizedTest
    @ValueSource(classes = {java.util.concurrent.RejectedExecutionException.class, NoClassDefFoundError.class})
    void aFailureOfTheLoopsOwnWorkClosesThatConnectionAndTheOthersAreServed(Class<? extends Throwable> kind)
            throws Exception {
        ThrowOnce failure = ThrowOnce.of(kind);
        Clock clock = Clock.systemUTC();
        PolicyMetrics metrics = new PolicyMetrics();
        try (GreylistStore store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5))) {
            PolicyDecisions decisions = new PolicyDecisions(store, SuspicionPolicy.NONE, GreylistSettings.defaults(),
                    KnownSenders.NONE, clock, metrics);
            java.util.concurrent.Executor handOver = task -> {
                failure.now();
                task.run();
            };
            Answers answers = new Answers(Answers.DEFAULT_ACTION, Answers.DEFAULT_TEXT, null, "mx.example.org", clock);
            PolicyService service = new PolicyService(decisions, () -> PostgreyWhitelists.NONE, answers, handOver,
                    metrics, null, null, new MessageMemory(clock));
            try (PolicyServer server = new PolicyServer(service).listenTcp(new InetSocketAddress("127.0.0.1", 0), 16)
                    .start()) {
                try (PolicyClient first = PolicyClient.tcp(server.tcpAddress())) {
                    first.send(PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
                    assertTrue(first.closedByServer(), "the connection whose request met the failure");
                }
                try (PolicyClient next = PolicyClient.tcp(server.tcpAddress())) {
                    assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds",
                            next.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "c@example.org")),
                            "the service still serves");
                }
            }
        }
    }

    /**
     * The same failure met where a connection's next request is taken once the decision of the one before came back
     * from another thread (a decider thread, as with PostgreSQL): that connection goes after its first answer, and
     * the loop that ran the hand-back serves the others.
     */
    @Test
    void aFailureTakingTheNextRequestAfterAnAnswerFromAnotherThreadClosesThatConnectionOnly() throws Exception {
        ThrowOnce failure = ThrowOnce.of(java.util.concurrent.RejectedExecutionException.class);
        java.util.concurrent.atomic.AtomicInteger handOvers = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService deciders = java.util.concurrent.Executors.newSingleThreadExecutor();
        Clock clock = Clock.systemUTC();
        PolicyMetrics metrics = new PolicyMetrics();
        try (GreylistStore store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5))) {
            PolicyDecisions decisions = new PolicyDecisions(store, SuspicionPolicy.NONE, GreylistSettings.defaults(),
                    KnownSenders.NONE, clock, metrics);
            java.util.concurrent.Executor secondFails = task -> {
                if (handOvers.incrementAndGet() == 2) {
                    failure.now();
                }
                deciders.execute(task);
            };
            Answers answers = new Answers(Answers.DEFAULT_ACTION, Answers.DEFAULT_TEXT, null, "mx.example.org", clock);
            PolicyService service = new PolicyService(decisions, () -> PostgreyWhitelists.NONE, answers, secondFails,
                    metrics, null, null, new MessageMemory(clock));
            try (PolicyServer server = new PolicyServer(service).listenTcp(new InetSocketAddress("127.0.0.1", 0), 16)
                    .start()) {
                try (PolicyClient first = PolicyClient.tcp(server.tcpAddress())) {
                    // Both at once: the second is taken on the I/O thread when the first's answer comes back.
                    first.send(PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org"))
                            + PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net", "c@example.org")));
                    assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds", first.readAnswer());
                    assertTrue(first.closedByServer(), "the connection whose second request met the failure");
                }
                try (PolicyClient next = PolicyClient.tcp(server.tcpAddress())) {
                    assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds",
                            next.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "d@example.org")),
                            "the service still serves");
                }
            }
        } finally {
            deciders.shutdownNow();
        }
    }
}
