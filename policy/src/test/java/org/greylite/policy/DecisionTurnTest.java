package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.policy.PolicyDecisions.Outcome;
import org.greylite.policy.PolicyDecisions.Query;
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
 * The decisions of one turn of the I/O loop in one greydb transaction ({@link DecisionTurn}): answered only once
 * committed, each seeing the writes of those before it; re-decided one by one when the commit fails.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DecisionTurnTest {

    @TempDir
    Path dir;

    private RunningPolicy policy;
    private GreylistStore store;

    @AfterEach
    void stop() {
        if (policy != null) {
            policy.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private long rows(String where) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM triplet WHERE " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void requestsFromManyConnectionsAtOnceAreAnsweredAsOneAfterAnotherAndAllRecorded() throws Exception {
        policy = TestPolicy.start(dir);
        List<PolicyClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                clients.add(PolicyClient.tcp(policy.tcpAddress()));
            }
            // All written before any answer is read, so that the service finds several waiting in one turn.
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).send(PolicyClient.request(PolicyClient.rcpt("192.0.2." + (i == 11 ? 0 : i),
                        "a@example.net", recipient(i))));
            }
            for (int i = 0; i < clients.size(); i++) {
                String answer = clients.get(i).readAnswer();
                assertTrue(answer.startsWith("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in "), i + ": " + answer);
                // Read by a connection of the test's own, which sees committed rows only.
                assertEquals(1, rows("recipient = '" + recipient(i) + "'"), i + ": its triplet committed by the time its answer came");
            }
        } finally {
            for (PolicyClient c : clients) {
                c.close();
            }
        }
        assertEquals(11, rows("1"), "the repeat wrote no row of its own");
    }

    /** Client {@code i}'s recipient: the last client repeats the first's triplet. */
    private static String recipient(int i) {
        return i == 11 ? "r0@example.org" : "r" + i + "@example.org";
    }

    /** A greydb whose batches fail at the end, after their work, as a commit that fails would: nothing is kept. */
    private static final class FailingCommit extends ForwardingGreylistStore {
        int batches;

        FailingCommit(GreylistStore delegate) {
            super(delegate);
        }

        @Override
        public <T> T inOneTransaction(long askedNanos, Supplier<T> work) {
            batches++;
            return super.inOneTransaction(askedNanos, () -> {
                work.get();
                throw new StoreException("disk I/O error");
            });
        }
    }

    private PolicyDecisions decisions(GreylistStore s) {
        return new PolicyDecisions(s, SuspicionPolicy.NONE, GreylistSettings.defaults(), () -> KnownSenders.NONE,
                Clock.systemUTC(), new PolicyMetrics());
    }

    private static Query query(String to) throws Exception {
        return new Query(InetAddress.getByName("192.0.2.7"), "", "mx.example.net", "a@example.net", to, null);
    }

    /** A decision as PolicyService gives one: its answer waits for the commit while the turn holds answers. */
    private static Runnable decision(DecisionTurn turn, PolicyDecisions d, String to, List<String> sent) {
        return () -> {
            Outcome o;
            try {
                o = d.decide(query(to));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            String answer = to + " " + o.kind();
            if (turn.holdsAnswers()) {
                turn.afterCommit(() -> sent.add(answer));
            } else {
                sent.add(answer);
            }
        };
    }

    @Test
    void theAnswersWaitForTheCommitOfTheirTurn() throws Exception {
        store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5));
        PolicyDecisions d = decisions(store);
        DecisionTurn turn = new DecisionTurn(d);
        List<String> sent = new ArrayList<>();
        List<Long> committedWhileDeciding = new ArrayList<>();
        turn.execute(decision(turn, d, "r1@example.org", sent));
        turn.execute(decision(turn, d, "r1@example.org", sent)); // the same triplet: sees the first's write
        turn.execute(() -> {
            try {
                committedWhileDeciding.add(rows("1"));
                committedWhileDeciding.add((long) sent.size());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(turn.pending());
        assertTrue(sent.isEmpty(), "nothing decided before the turn ends");

        turn.finish();
        assertFalse(turn.pending());
        assertEquals(List.of(0L, 0L), committedWhileDeciding,
                "before the commit, another connection saw no row and no answer had gone");
        assertEquals(List.of("r1@example.org GREYLIST", "r1@example.org GREYLIST"), sent);
        assertEquals(1, rows("refusals = 1 AND recipient = 'r1@example.org'"), "one triplet: the second was a retry");
    }

    @Test
    void aTurnWhoseCommitFailsIsDecidedAgainOneByOne() throws Exception {
        FailingCommit failing = new FailingCommit(GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5)));
        store = failing;
        PolicyDecisions d = decisions(failing);
        DecisionTurn turn = new DecisionTurn(d);
        List<String> sent = new ArrayList<>();
        turn.execute(decision(turn, d, "r1@example.org", sent));
        turn.execute(decision(turn, d, "r2@example.org", sent));

        turn.finish();
        assertEquals(1, failing.batches);
        assertEquals(List.of("r1@example.org GREYLIST", "r2@example.org GREYLIST"), sent,
                "each answered once, by its decision on its own, not by the one that was not kept");
        assertEquals(2, rows("refusals = 1"), "recorded by the decisions one by one");
    }
}
