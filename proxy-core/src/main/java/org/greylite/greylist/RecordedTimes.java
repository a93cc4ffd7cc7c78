package org.greylite.greylist;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * How the engine turns its clock into the whole Unix seconds the greydb keeps, for the times min-delay is measured
 * from (SPEC §3.4: an attempt less than min-delay after the last counted refusal is refused again).
 *
 * <p>The time of a counted refusal is recorded rounded <em>up</em> to the second, and a retry is measured from it
 * with the clock's full precision. Cutting the fraction off instead (what the greydb's columns did by themselves)
 * let a retry count early: a first attempt at x.90 s recorded as x, a retry at x+3.06 s, and a 3 s min-delay was
 * passed after 2.16 s. Rounded up, the recorded time is never before the real one, so no retry counts early; the
 * price is that a retry may wait up to one second more than min-delay (none when the refusal fell on a whole
 * second). Comparing whole seconds and asking one more (floor(t2) - floor(t1) &gt; min-delay) was rejected: it
 * is just as safe, but always costs that second, even where the clock is exact. Keeping milliseconds needs a
 * schema change; and a retry mostly comes in another connection, often another process, so memory cannot hold them.
 *
 * <p>Rows written by earlier versions hold the time cut off: for those the first retry may count up to a second
 * early, once.
 */
public final class RecordedTimes {

    private RecordedTimes() {
    }

    /** {@code now} rounded up to the whole second, as a refusal min-delay is measured from is recorded. */
    public static Instant refusalAt(Instant now) {
        Instant whole = now.truncatedTo(ChronoUnit.SECONDS);
        return whole.equals(now) ? now : whole.plusSeconds(1);
    }

    /**
     * The latest time a row may hold at {@code now}: a refusal is recorded rounded up, so up to the next whole second.
     * A later one was written by no clock that agrees with this one: this clock stepped back (NTP correcting a host
     * that started with its clock ahead, a virtual machine restored from a snapshot, a date set by hand), or another
     * MX host sharing the greydb runs ahead. How long ago that attempt really was cannot be told, so it is taken as
     * now: measured from the time held, a retry was refused for as long as the step (a year ahead: "retry in
     * 31536000 seconds", with the row kept as long) and took a negative age for a retry sooner than greylite's
     * schedule, the retryinterval behaviour that makes the client suspicious. Taken as now, the retry waits min-delay
     * from now at most, and a mail server retrying once more loses nothing else.
     */
    public static Instant latestAt(Instant now) {
        return refusalAt(now);
    }

    /**
     * When a retry after the counted refusal recorded at {@code lastRefusal} counts. Without a min-delay, at once:
     * {@code --min-delay 0} means that only the count matters (greylite 2.3), and the rounding up must not make a
     * retry within the same second wait.
     */
    public static Instant retryCountsFrom(Instant lastRefusal, Duration minDelay) {
        return minDelay.isZero() ? Instant.MIN : lastRefusal.plus(minDelay);
    }

    /**
     * The whole seconds from {@code now} to {@code at}, rounded up (0 when it has come): the "retry in N seconds" of
     * a refusal, so that a client retrying after exactly N seconds is counted.
     */
    public static long secondsUntil(Instant at, Instant now) {
        if (!now.isBefore(at)) {
            return 0;
        }
        Duration wait = Duration.between(now, at);
        return wait.getSeconds() + (wait.getNano() > 0 ? 1 : 0);
    }
}
