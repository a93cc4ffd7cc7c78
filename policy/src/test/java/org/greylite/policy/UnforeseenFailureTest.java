package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.ThrowOnce;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failures nothing foresaw (a defect; a regular expression too deep for the stack; a class that cannot be loaded
 * once a package upgrade has replaced the jars under the running service). In a decision, the request is answered
 * {@code DUNNO}, as greylite-policy answers any decision it cannot make; in the I/O loop's own work on a connection,
 * that connection goes. Either way the service goes on: the I/O thread serves every connection (and, with an
 * SQLite greydb, runs the decisions), and nothing may end it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnforeseenFailureTest {

    private static final String DEFERRED = "DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds";

    @TempDir
    Path dir;

    private GreylistStore store;
    private PolicyServer server;

    @BeforeEach
    void greydb() {
        store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        store.close();
    }

    /**
     * The service as RunningPolicy assembles it, listening on a free port; {@code decider} null: an SQLite
     * greydb's decisions, on the I/O thread in turns of its loop, as RunningPolicy runs them.
     */
    private PolicyServer serve(SuspicionPolicy rules, Executor decider) throws IOException {
        Clock clock = Clock.systemUTC();
        PolicyMetrics metrics = new PolicyMetrics();
        PolicyDecisions decisions = new PolicyDecisions(store, rules, GreylistSettings.defaults(),
                () -> KnownSenders.NONE, clock, metrics);
        DecisionTurn turn = decider == null ? new DecisionTurn(decisions) : null;
        Answers answers = new Answers(Answers.DEFAULT_ACTION, Answers.DEFAULT_TEXT, null, "mx.example.org", clock);
        PolicyService service = new PolicyService(decisions, () -> PostgreyWhitelists.NONE, answers,
                decider == null ? turn : decider, metrics, null, null, new MessageMemory(System::nanoTime));
        server = new PolicyServer(service, turn).listenTcp(new InetSocketAddress("127.0.0.1", 0), 16).start();
        return server;
    }

    @ParameterizedTest
    @ValueSource(classes = {NoClassDefFoundError.class, StackOverflowError.class, IllegalStateException.class})
    void theFailedRequestIsAnsweredDunnoAndTheNextOneIsDecided(Class<? extends Throwable> kind) throws Exception {
        ThrowOnce failure = ThrowOnce.of(kind);
        SuspicionPolicy failingOnce = facts -> {
            failure.now();
            return Suspicion.NONE;
        };
        try (PolicyClient client = PolicyClient.tcp(serve(failingOnce, null).tcpAddress())) {
            assertEquals("DUNNO", client.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            assertEquals(DEFERRED, client.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "c@example.org")),
                    "the service still decides");
        }
    }

    /**
     * A failure out of the I/O loop's own work on a connection (here the hand-over of its request, refused as a
     * stopped pool refuses one) closes that connection only: the loop that serves every other one goes on.
     */
    @ParameterizedTest
    @ValueSource(classes = {RejectedExecutionException.class, NoClassDefFoundError.class})
    void aFailureOfTheLoopsOwnWorkClosesThatConnectionAndTheOthersAreServed(Class<? extends Throwable> kind)
            throws Exception {
        ThrowOnce failure = ThrowOnce.of(kind);
        Executor handOver = task -> {
            failure.now();
            task.run();
        };
        InetSocketAddress address = serve(SuspicionPolicy.NONE, handOver).tcpAddress();
        try (PolicyClient first = PolicyClient.tcp(address)) {
            first.send(PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            assertTrue(first.closedByServer(), "the connection whose request met the failure");
        }
        try (PolicyClient next = PolicyClient.tcp(address)) {
            assertEquals(DEFERRED, next.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "c@example.org")),
                    "the service still serves");
        }
    }

    /**
     * The same failure met where a connection's next request is taken once the decision of the one before came back
     * from another thread (a decider thread, as with PostgreSQL): that connection goes after its first answer, and
     * the loop that ran the hand-back serves the others.
     */
    @Test
    void aFailureTakingTheNextRequestAfterAnAnswerFromAnotherThreadClosesThatConnectionOnly() throws Exception {
        ThrowOnce failure = ThrowOnce.of(RejectedExecutionException.class);
        AtomicInteger handOvers = new AtomicInteger();
        ExecutorService deciders = Executors.newSingleThreadExecutor();
        Executor secondFails = task -> {
            if (handOvers.incrementAndGet() == 2) {
                failure.now();
            }
            deciders.execute(task);
        };
        try {
            InetSocketAddress address = serve(SuspicionPolicy.NONE, secondFails).tcpAddress();
            try (PolicyClient first = PolicyClient.tcp(address)) {
                // Both at once: the second is taken on the I/O thread when the first's answer comes back.
                first.send(PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org"))
                        + PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net", "c@example.org")));
                assertEquals(DEFERRED, first.readAnswer());
                assertTrue(first.closedByServer(), "the connection whose second request met the failure");
            }
            try (PolicyClient next = PolicyClient.tcp(address)) {
                assertEquals(DEFERRED, next.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "d@example.org")),
                        "the service still serves");
            }
        } finally {
            deciders.shutdownNow();
        }
    }

    /**
     * A failure that ends the I/O loop itself (an OutOfMemoryError out of a decision it ran, which no guard takes:
     * nothing can be trusted to go on after one) is told to the program, which then ends for its supervisor to start
     * it again (GreylitePolicy exits 111). The loop used to end with the listeners closed and say nothing more: the
     * process ran on, answering nobody.
     */
    @Test
    void aFailureThatEndsTheIoLoopIsToldSoThatTheProgramEnds() throws Exception {
        ThrowOnce failure = ThrowOnce.of(OutOfMemoryError.class);
        SuspicionPolicy failingOnce = facts -> {
            failure.now();
            return Suspicion.NONE;
        };
        CompletableFuture<Throwable> told = new CompletableFuture<>();
        PolicyServer s = serve(failingOnce, null).whenLoopFails(told::complete);
        try (PolicyClient client = PolicyClient.tcp(s.tcpAddress())) {
            client.send(PolicyClient.request(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            assertTrue(client.closedByServer(), "its connection goes with the loop");
        }
        assertTrue(told.get(10, TimeUnit.SECONDS) instanceof OutOfMemoryError);
    }

    /** A stop is no failure: nothing is told. */
    @Test
    void aStopIsNotToldAsAFailure() throws Exception {
        CompletableFuture<Throwable> told = new CompletableFuture<>();
        serve(SuspicionPolicy.NONE, null).whenLoopFails(told::complete);
        server.close();
        server = null;
        Thread.sleep(200);
        assertFalse(told.isDone());
    }
}
