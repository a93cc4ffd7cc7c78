package org.greylite.greylist;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a greydb outage as an administrator wants to read it: one line when it starts (with the error and
 * what the RCPTs get meanwhile), a count every {@link #SUMMARY_EVERY} while it lasts, and one line when
 * the greydb answers again. One line per RCPT drowned the log (1,500 lines in 25 seconds) and said
 * nothing new after the first; the metric of store errors still counts each one.
 *
 * <p>Thread-safe; the decision that succeeds pays one volatile read.
 */
final class StoreOutageLog {

    static final Duration SUMMARY_EVERY = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(Greylister.class);

    private final Clock clock;
    private final String failClosedAnswer;
    private volatile boolean down;
    private Instant since;
    private Instant lastSummary;
    private long total;
    private long sinceSummary;
    private String lastError;

    /**
     * @param refusal how the program writes its refusal when it fails closed ({@code 451}, {@code 0,2}...): the
     *                log names the answer the client gets, which differs between the programs sharing this engine
     */
    StoreOutageLog(Clock clock, String refusal) {
        this.clock = clock;
        this.failClosedAnswer = "answering " + refusal + " (fail closed)";
    }

    /** A decision failed on the greydb {@code store} with {@code why}. */
    synchronized void failed(String store, String why, boolean failOpen) {
        Instant now = clock.instant();
        if (down && now.isBefore(lastSummary)) {
            followStepBack(now);
        }
        total++;
        sinceSummary++;
        lastError = why;
        String answer = failOpen ? "accepting RCPTs (fail open)" : failClosedAnswer;
        if (!down) {
            down = true;
            since = now;
            lastSummary = now;
            LOG.error("greydb failure ({}), {} until it answers: {}", store, answer, why);
        } else if (!now.isBefore(lastSummary.plus(SUMMARY_EVERY))) {
            LOG.error("greydb still failing ({}) for {}s: {} RCPT(s) decided as failures in the last {}s, {} in all;"
                            + " {}; last error: {}", store, seconds(since, now), sinceSummary, seconds(lastSummary, now),
                    total, answer, why);
            lastSummary = now;
            sinceSummary = 0;
        }
    }

    /** A decision went through the greydb. */
    void succeeded(String store) {
        if (!down) {
            return;
        }
        synchronized (this) {
            if (!down) {
                return;
            }
            down = false;
            LOG.warn("greydb answers again ({}) after {}s: {} RCPT(s) were decided as failures; last error: {}", store,
                    seconds(since, clock.instant()), total, lastError);
            total = 0;
            sinceSummary = 0;
        }
    }

    /**
     * The clock stepped back since the last line (NTP correcting a host that started ahead): the outage's times move
     * back with it, as if it stepped now. Left as they were, the next count waited until the clock came back to the
     * last one, and the log said nothing of the outage for as long as the step, an hour or years.
     */
    private void followStepBack(Instant now) {
        Duration step = Duration.between(now, lastSummary);
        lastSummary = now;
        since = since.minus(step);
    }

    private static long seconds(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).getSeconds());
    }
}
