package org.greylite.greydaemon;

import java.util.Optional;

import org.greylite.store.ForwardingGreylistStore;
import org.greylite.store.GreylistStore;
import org.greylite.store.Triplet;
import org.greylite.store.TripletUpdate;

/**
 * The greydb as the engine sees it, noting whether the triplet it last decided already had a row. The engine
 * treats an expired row as absent (a first attempt again); greydaemon told that case apart ({@code 0,3}, a
 * stale entry restarted, against {@code 0,1} for a new one). Watching the row the store hands the engine, in
 * the engine's own transaction, tells them apart without a second query and without a race; asking the greydb
 * before the decision was the alternative, a query more per recipient and a row that may change in between.
 *
 * <p>Used by one thread, the greydb thread: {@link #reset} before a decision, {@link #sawRow} after it.
 */
final class RowWitness extends ForwardingGreylistStore {

    private boolean sawRow;

    RowWitness(GreylistStore store) {
        super(store);
    }

    void reset() {
        sawRow = false;
    }

    /** True when the last decision found a row for its triplet, expired or not. */
    boolean sawRow() {
        return sawRow;
    }

    @Override
    protected <T> TripletUpdate<T> seen(Optional<Triplet> row, TripletUpdate<T> update) {
        sawRow = row.isPresent();
        return update;
    }
}
