package org.greylite.greylist;

import static org.greylite.greylist.GreylisterTest.rcpt;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.greylite.testing.MutableClock;
import org.greylite.greylist.Verdict.Action;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.DecisionQuery;
import org.greylite.store.ForwardingGreylistStore;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoreException;
import org.greylite.store.StoredState;
import org.greylite.store.TripletUpdate;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.GreydbDump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Greylister#decideAll}: a batch decides as one decision after another would, in one transaction. */
class GreylisterBatchTest {

    static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(T0);

    /** A message's retry that passes, its client's next recipient, a new client twice, a skip, postmaster@. */
    private static List<RcptRequest> burst() {
        return List.of(
                rcpt("192.0.2.7", "s@example.net", "r1@example.org"),
                rcpt("192.0.2.7", "s@example.net", "r2@example.org"),
                rcpt("198.51.100.9", "n@example.net", "m@example.org"),
                rcpt("198.51.100.9", "n@example.net", "m@example.org"),
                rcpt("203.0.113.5", "relay@example.net", "x@example.org", "RELAYCLIENT"),
                rcpt("203.0.113.5", "spam@example.net", "postmaster@example.org"));
    }

    /** The state before the burst: the first recipient's first attempt, 6 minutes earlier. */
    private void before(Greylister g) {
        clock.set(T0);
        g.decide(rcpt("192.0.2.7", "s@example.net", "r1@example.org"));
        clock.advance(Duration.ofMinutes(6));
    }

    private static String rows(Path greydb) throws SQLException {
        return GreydbDump.of(greydb);
    }

    @Test
    void aBatchGivesTheVerdictsAndRowsOfOneDecisionAfterAnother() throws Exception {
        Path oneByOne = dir.resolve("one-by-one.db");
        List<Verdict> expected = new ArrayList<>();
        try (GreylistStore store = GreylistStores.sqlite(oneByOne, Duration.ofSeconds(5))) {
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, DecisionListener.NONE);
            before(g);
            for (RcptRequest r : burst()) {
                expected.add(g.decide(r));
            }
        }
        Path batched = dir.resolve("batched.db");
        List<Verdict> told = new ArrayList<>();
        List<Verdict> got;
        try (GreylistStore store = GreylistStores.sqlite(batched, Duration.ofSeconds(5))) {
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, (r, v) -> told.add(v));
            before(g);
            told.clear();
            got = g.decideAll(burst(), System.nanoTime());
        }
        assertEquals(expected, got);
        assertEquals(got, told, "the listener is told every verdict, in order");
        // What one after the other gives, spelled out: each saw the writes of those before it.
        assertEquals(List.of(Reason.PASSED, Reason.WHITELISTED, Reason.FIRST_ATTEMPT, Reason.EARLY_RETRY,
                Reason.SKIPPED, Reason.EXEMPT_RECIPIENT), got.stream().map(Verdict::reason).toList());
        assertEquals(rows(oneByOne), rows(batched));
    }

    @Test
    void theListenerIsToldOnceTheWholeBatchIsCommitted() throws Exception {
        Path db = dir.resolve("greylite.db");
        List<Long> committedWhenTold = new ArrayList<>();
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, (r, v) -> {
                try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM triplet")) {
                    rs.next();
                    committedWhenTold.add(rs.getLong(1));
                } catch (SQLException e) {
                    throw new AssertionError(e);
                }
            });
            g.decideAll(List.of(rcpt("192.0.2.7", "a@x", "1@y"), rcpt("192.0.2.7", "a@x", "2@y"),
                    rcpt("192.0.2.7", "a@x", "3@y")), System.nanoTime());
        }
        assertEquals(List.of(3L, 3L, 3L), committedWhenTold);
    }

    /** The real greydb, failing its {@code n}th decision as a full disk would. */
    private static final class FailingAt extends ForwardingGreylistStore {
        private final int n;
        private int decisions;

        FailingAt(GreylistStore store, int n) {
            super(store);
            this.n = n;
        }

        @Override
        public <T> T decide(DecisionQuery query, Function<StoredState, TripletUpdate<T>> transition) {
            if (++decisions == n) {
                throw new StoreException("disk full");
            }
            return super.decide(query, transition);
        }
    }

    private List<Verdict> failingBatch(Path db, boolean failOpen, List<Verdict> told) {
        try (GreylistStore store = new FailingAt(GreylistStores.sqlite(db, Duration.ofSeconds(5)), 3)) {
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults().withFailOpen(failOpen),
                    clock, (r, v) -> told.add(v));
            return g.decideAll(List.of(rcpt("192.0.2.7", "a@x", "1@y"), rcpt("192.0.2.7", "a@x", "2@y"),
                    rcpt("192.0.2.7", "a@x", "3@y"), rcpt("192.0.2.7", "a@x", "4@y"),
                    rcpt("192.0.2.7", "a@x", "5@y", "RELAYCLIENT")), System.nanoTime());
        }
    }

    @Test
    void aGreydbFailureInTheMiddleAnswersTheWholeBatchAsAFailureAndRecordsNoneOfIt() throws Exception {
        Path open = dir.resolve("open.db");
        List<Verdict> told = new ArrayList<>();
        List<Verdict> failOpen = failingBatch(open, true, told);
        assertEquals(List.of(Action.ACCEPT, Action.ACCEPT, Action.ACCEPT, Action.ACCEPT, Action.ACCEPT),
                failOpen.stream().map(Verdict::action).toList());
        assertEquals(List.of(Reason.STORE_ERROR, Reason.STORE_ERROR, Reason.STORE_ERROR, Reason.STORE_ERROR, Reason.SKIPPED),
                failOpen.stream().map(Verdict::reason).toList(), "what memory decides stands");
        assertEquals(failOpen, told);
        assertEquals("", rows(open), "the two decisions before the failure were not committed");

        Path closed = dir.resolve("closed.db");
        List<Verdict> failClosed = failingBatch(closed, false, new ArrayList<>());
        assertEquals(List.of(Action.TEMPFAIL, Action.TEMPFAIL, Action.TEMPFAIL, Action.TEMPFAIL, Action.ACCEPT),
                failClosed.stream().map(Verdict::action).toList());
        assertEquals("", rows(closed));
    }
}
