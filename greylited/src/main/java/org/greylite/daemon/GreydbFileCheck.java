package org.greylite.daemon;

import org.greylite.store.GreylistStore;
import org.greylite.store.StoreException;
import org.slf4j.Logger;

/**
 * The timer's look at the greydb file: an SQLite file deleted (or replaced) while greylited runs is noticed within
 * {@link #INTERVAL_SECONDS}, said in an ERROR line with what greylited does about it, counted in a metric, and the
 * greydb at the path used from then on, so greylitectl and greylited see the same rows again. It runs on the
 * greydb's own thread, between decisions, never in one: a decision never waits for a stat of the file.
 */
final class GreydbFileCheck implements Runnable {

    /** Often enough that few decisions go to a deleted file; the check is one stat. */
    static final long INTERVAL_SECONDS = 5;

    private final GreylistStore store;
    private final ProxyMetrics metrics;
    private final Logger log;

    GreydbFileCheck(GreylistStore store, ProxyMetrics metrics, Logger log) {
        this.store = store;
        this.metrics = metrics;
        this.log = log;
    }

    @Override
    public void run() {
        try {
            String what = store.reopenIfReplaced();
            if (what != null) {
                metrics.greydbFileReplaced();
                log.error("{}; decisions go to {} from now on", what, store.describe());
            }
        } catch (StoreException e) {
            log.error("{}; RCPTs get the greydb-error answer until it can be opened (tried every {} s)",
                    e.getMessage(), INTERVAL_SECONDS);
        } catch (RuntimeException e) {
            // A failed look must not end the timer: the next one may succeed.
            log.error("greydb file check failed: {}", e.toString());
        }
    }
}
