package org.greylite.greydaemon;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

import org.greylite.store.ForwardingGreylistStore;
import org.greylite.store.GreylistStore;
import org.greylite.store.Triplet;
import org.greylite.store.TripletUpdate;

/**
 * The greydb as the engine sees it, noting for each decision whether its triplet already had a row. The engine
 * treats an expired row as absent (a first attempt again); greydaemon told that case apart ({@code 0,3}, a
 * stale entry restarted, against {@code 0,1} for a new one). Watching the row the store hands the engine, in
 * the engine's own transaction, tells them apart without a second query and without a race; asking the greydb
 * before the decision was the alternative, a query more per recipient and a row that may change in between.
 *
 * <p>A batch makes several decisions before its answers are made, so what was seen is kept per decision, by the
 * verdict the decision returned (each decision of the greydb makes a verdict of its own, so its identity names
 * the decision; two decisions on one triplet in a batch see different rows).
 *
 * <p>Used by one thread, the greydb thread: {@link #reset} before a batch, {@link #sawRow} after it.
 */
final class RowWitness extends ForwardingGreylistStore {

    private final Map<Object, Boolean> sawRow = new IdentityHashMap<>();

    RowWitness(GreylistStore store) {
        super(store);
    }

    void reset() {
        sawRow.clear();
    }

    /** True when the decision that returned {@code result} found a row for its triplet, expired or not. */
    boolean sawRow(Object result) {
        return sawRow.getOrDefault(result, false);
    }

    @Override
    protected <T> TripletUpdate<T> seen(Optional<Triplet> row, TripletUpdate<T> update) {
        sawRow.put(update.result(), row.isPresent());
        return update;
    }
}
