package org.greylite.config;

import org.greylite.store.GreylistStore;
import org.greylite.store.StoreException;
import org.slf4j.Logger;

/**
 * The timer's look at the greydb file, for every long-running program (greylited, greylite-policy, greydaemon):
 * an SQLite file deleted (or replaced) while the program runs is noticed within
 * {@link #INTERVAL_SECONDS}, said in an ERROR line with what greylited does about it, counted in a metric, and the
 * greydb at the path used from then on, so greylitectl and greylited see the same rows again. It runs on the
 * greydb's own thread, between decisions, never in one: a decision never waits for a stat of the file.
 */
public final class GreydbFileCheck implements Runnable {

    /** Often enough that few decisions go to a deleted file; the check is one stat. */
    public static final long INTERVAL_SECONDS = 5;

    private final GreylistStore store;
    private final Runnable replaced;
    private final Logger log;
    /**
     * Why the file at the path could not be opened at the last look, or null. A look every 5 s would otherwise
     * repeat the same ERROR line for as long as the file stays unusable (a file that is no SQLite database put
     * there, a folder that became unwritable): the outage itself is counted by the engine's own log.
     */
    private String failing;

    /** @param replaced told each time the file was found replaced (the programs' greylite_greydb_file_replaced_total) */
    public GreydbFileCheck(GreylistStore store, Runnable replaced, Logger log) {
        this.store = store;
        this.replaced = replaced;
        this.log = log;
    }

    @Override
    public void run() {
        try {
            String what = store.reopenIfReplaced();
            boolean recovered = failing != null;
            failing = null;
            if (what != null && recovered) {
                // The end of a failure said at ERROR: good news, at the level of the engine's own "answers again".
                log.warn("{}; decisions go to {} from now on", what, store.describe());
            } else if (what != null) {
                replaced.run();
                log.error("{}; decisions go to {} from now on", what, store.describe());
            }
        } catch (StoreException e) {
            String why = e.getCause() != null ? String.valueOf(e.getCause().getMessage()) : e.getMessage();
            if (why.equals(failing)) {
                log.debug("{}", e.getMessage());
                return;
            }
            failing = why;
            log.error("{}; decisions get the greydb-error answer until it can be opened (tried every {} s, said again"
                    + " when it opens or fails otherwise)", e.getMessage(), INTERVAL_SECONDS);
        } catch (RuntimeException e) {
            // A failed look must not end the timer: the next one may succeed.
            log.error("greydb file check failed: {}", e.toString());
        }
    }
}
