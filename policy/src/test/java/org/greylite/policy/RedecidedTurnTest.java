package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.store.ForwardingGreylistStore;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoreException;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A turn whose commit fails is decided again one by one ({@link DecisionTurn}), through the real service over TCP:
 * the answer then is the one the request would have had, the {@code X-Greylist} header of a retry that passed
 * included. The first, uncommitted decision had claimed the message's header, and the retry was answered a bare
 * {@code DUNNO}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedecidedTurnTest {

    @TempDir
    Path dir;

    private PolicyServer server;
    private FailingNextCommit store;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    /** A greydb whose next shared transaction, once armed, does its work and then fails, as a commit that fails. */
    private static final class FailingNextCommit extends ForwardingGreylistStore {
        volatile boolean armed;
        volatile int failed;

        FailingNextCommit(GreylistStore delegate) {
            super(delegate);
        }

        @Override
        public <T> T inOneTransaction(long askedNanos, Supplier<T> work) {
            if (!armed) {
                return super.inOneTransaction(askedNanos, work);
            }
            armed = false;
            failed++;
            return super.inOneTransaction(askedNanos, () -> {
                work.get();
                throw new StoreException("disk I/O error");
            });
        }
    }

    private void startService(GreylistSettings settings) throws Exception {
        store = new FailingNextCommit(GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5)));
        Clock clock = Clock.systemUTC();
        PolicyMetrics metrics = new PolicyMetrics();
        PolicyDecisions decisions = new PolicyDecisions(store, SuspicionPolicy.NONE, settings, () -> KnownSenders.NONE,
                clock, metrics);
        DecisionTurn turn = new DecisionTurn(decisions);
        Answers answers = new Answers(Answers.DEFAULT_ACTION, Answers.DEFAULT_TEXT, Answers.DEFAULT_HEADER,
                "mx.example.org", clock);
        PolicyService service = new PolicyService(decisions, () -> PostgreyWhitelists.NONE, answers, turn, metrics,
                null, null, new MessageMemory(System::nanoTime));
        server = new PolicyServer(service, turn).listenTcp(new InetSocketAddress("127.0.0.1", 0), 16).start();
    }

    @Test
    void aRetryThatPassesInATurnDecidedAgainKeepsItsHeader() throws Exception {
        startService(GreylistSettings.defaults().withMinDelay(Duration.ofSeconds(1)));

        try (PolicyClient c = PolicyClient.tcp(server.tcpAddress())) {
            String first = c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
            assertTrue(first.startsWith("DEFER_IF_PERMIT"), first);
            // The refusal counts from the next whole second: past it and the 1 s delay, the retry passes.
            Thread.sleep(2_100);
            store.armed = true;
            String retry = c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
            assertEquals(1, store.failed, "the retry's turn failed its commit and was decided again");
            assertTrue(retry.startsWith("PREPEND X-Greylist: delayed "), retry);
        }
    }

    /**
     * A new triplet of a turn decided again is counted once towards its client's {@code --max-pending}: counted by the
     * decision whose commit failed as well, the client's next new triplet was refused as beyond the cap (and not
     * recorded) while the greydb held one pending triplet of the two allowed.
     */
    @Test
    void aNewTripletOfATurnDecidedAgainCountsOnceTowardsTheCap() throws Exception {
        startService(GreylistSettings.defaults().withMaxPending(2));

        try (PolicyClient c = PolicyClient.tcp(server.tcpAddress())) {
            store.armed = true;
            String first = c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
            assertEquals(1, store.failed, "the turn failed its commit and was decided again");
            assertTrue(first.startsWith("DEFER_IF_PERMIT"), first);
            String second = c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "c@example.org"));
            assertTrue(second.startsWith("DEFER_IF_PERMIT"), second);
        }
        assertEquals(2, pendingTriplets(), "the second new triplet recorded: the client is at the cap, not past it");
    }

    private long pendingTriplets() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM triplet WHERE passed_at IS NULL")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
