package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
