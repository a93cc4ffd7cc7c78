package org.greylite.store;

import java.util.concurrent.TimeUnit;

/**
 * What a long piece of work on the greydb (the purge, greylitectl's delete of many triplets) does between its short
 * write transactions: it waits as long as it held the lock. A process waiting for the lock (SQLite's busy handler
 * looks again after 1, 2, 5... and then every 100 ms) would otherwise keep finding the next transaction, begun the
 * moment the last one ended, and wait out its busy timeout all the same; in the same process, the decisions waiting
 * for the connection take it in the pause.
 */
final class LockTurns {

    private LockTurns() {
    }

    /** Waits {@code heldNanos}, the time the last transaction held the lock; false when interrupted (it stays so). */
    static boolean giveWay(long heldNanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(heldNanos);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
