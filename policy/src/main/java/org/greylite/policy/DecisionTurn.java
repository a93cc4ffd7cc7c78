package org.greylite.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

import org.greylite.config.RepeatedWarning;
import org.greylite.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With an SQLite greydb: the decisions one turn of the I/O loop gathered (every connection whose request came in
 * while the loop was elsewhere), decided together in one greydb transaction at the end of the turn, and their
 * answers sent once it has committed.
 *
 * <h2>Why</h2>
 * Each decision in a transaction of its own paid a whole commit ({@code BEGIN IMMEDIATE}, the write-ahead log's
 * write, their locks), and that was the largest part of its time: with 20 Postfix connections, the commits took
 * about 40% of the I/O thread. Requests that wait together now share one, as greydaemon's do. An answer still
 * leaves only once its decision is committed, so a deferral Postfix is given is one the greydb remembers. A
 * turn decides the requests already there and waits for no more, so a lone request is not delayed.
 *
 * <p>When the commit fails, nothing of the turn was recorded: its requests are decided again one by one, each in
 * a transaction of its own, and answered as that decides (the greydb-failure answer while the greydb fails), after
 * an error line that says why (once a minute at most, with how many more failed meanwhile). The decision log and
 * the metrics show each request once, by the decision it was answered with: the engine tells them of a turn's
 * decisions once the turn has committed.
 *
 * <p>The I/O thread's alone: every method is called there.
 */
final class DecisionTurn implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(DecisionTurn.class);

    private final PolicyDecisions decisions;
    private final List<Runnable> gathered = new ArrayList<>();
    private final List<Runnable> answers = new ArrayList<>();
    private long firstGatheredNanos;
    /** The earliest the requests this turn reads can have come (see {@link #requestsCameSince}). */
    private long cameSinceNanos = System.nanoTime();
    private boolean deciding;
    /**
     * A commit that fails keeps failing while the greydb does (a full disk: every turn, every request at a quiet
     * time); the outage itself is logged by the engine, once (StoreOutageLog).
     */
    private final RepeatedWarning failedCommits = new RepeatedWarning();

    DecisionTurn(PolicyDecisions decisions) {
        this.decisions = decisions;
    }

    /**
     * Says when the requests of the turn that begins can have come at the earliest: the turn's busy timeout counts
     * from then, as the engine's does from when a decision was asked.
     */
    void requestsCameSince(long nanos) {
        cameSinceNanos = nanos;
    }

    /** Gathers a decision (it calls its reply when done) for the end of this turn. */
    @Override
    public void execute(Runnable decision) {
        if (gathered.isEmpty()) {
            firstGatheredNanos = cameSinceNanos;
        }
        gathered.add(decision);
    }

    /** Whether decisions wait for the end of the turn: the loop must then look at its sockets without sleeping. */
    boolean pending() {
        return !gathered.isEmpty();
    }

    /** Whether an answer given now belongs to this turn's transaction and must wait for its commit. */
    boolean holdsAnswers() {
        return deciding;
    }

    /** Sends {@code answer} once the turn's transaction has committed. */
    void afterCommit(Runnable answer) {
        answers.add(answer);
    }

    /** Decides what the turn gathered, in one transaction, then sends the answers. */
    void finish() {
        if (gathered.isEmpty()) {
            return;
        }
        List<Runnable> turn = new ArrayList<>(gathered);
        gathered.clear();
        boolean committed = false;
        deciding = true;
        try {
            decisions.inOneTransaction(firstGatheredNanos, () -> turn.forEach(Runnable::run));
            committed = true;
        } catch (StoreException e) {
            long skipped = failedCommits.admit();
            if (skipped >= 0) {
                LOG.error("greydb: the {} decision(s) of this turn could not be committed ({}); deciding them again one"
                        + " by one{}", turn.size(), e.getMessage(), RepeatedWarning.more(skipped));
            }
        } finally {
            deciding = false;
        }
        List<Runnable> send = new ArrayList<>(answers);
        answers.clear();
        if (committed) {
            send.forEach(Runnable::run);
        } else {
            turn.forEach(Runnable::run); // each in its own transaction; its answer goes at once
        }
    }
}
