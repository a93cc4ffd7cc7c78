package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.greylite.greylist.Durations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The time a purge judges expiry by: the clock, unless the greydb looks as a clock set far ahead leaves it.
 *
 * <h2>Why not the clock alone</h2>
 * A clock set ahead (a host started with its clock in the wrong year, a date typed by hand, a virtual machine
 * restored with another's time) makes every row look expired, and a purge by it deleted the whole greydb for good:
 * every auto-whitelist entry and every pending triplet, so that once the clock was right again every client was
 * greylisted anew and every message in its retries started over. The engine counts such rows as absent while the
 * clock is wrong anyway; kept, they cost disk space until the clock is right again, when they count again (and the
 * rows written meanwhile, then ahead, are brought back to the present, see {@link ExpiringTable#AHEAD_TOLERANCE}).
 *
 * <h2>What it looks for</h2>
 * A greydb in use holds a use (a triplet's or an auto-whitelist entry's last one) from somewhere between {@link
 * #vouch} (half the shorter lifetime: 12 h with the defaults) and the longer lifetime (36 days) before the clock:
 * the purge then goes by the clock. After a step ahead by more than the longer lifetime, every use written before
 * the step is older than that, and every one written after it younger than {@link #vouch} until the wrong clock has
 * lasted that long. The purge then takes as its present {@link #vouch} after the latest use before the step, and so
 * removes no row before half its lifetime.
 *
 * <h2>What it costs, and what it does not catch</h2>
 * A greydb nobody wrote to for longer than the longer lifetime (the programs stopped for two months) looks the same:
 * the rows that expired meanwhile stay, counted as absent, until {@link #vouch} after use resumes. Telling the two
 * apart needs a clock the step does not move, which a greydb shared by several processes (the wrapper is one per
 * connection) and several hosts does not have. A step shorter than the longer lifetime leaves uses in the window and
 * is not caught: rows are removed as much before their time as the step (for a step of days, the pending triplets,
 * whose clients are greylisted once more). Judging by the latest use in every case would catch those too, but it
 * lags behind the clock by every quiet stretch of the greydb's use (a night without mail on a small site).
 * Rejected too: refusing to purge until an administrator says so (after every stop the greydb grew unseen), and
 * capping how far the purge's present moves per round (a clock years ahead outruns any cap within hours, and a
 * purge run by cron once a day would never catch up).
 */
final class PurgeClock {

    private static final Logger LOG = LoggerFactory.getLogger(PurgeClock.class);

    /** The tables whose rows are uses, and which of their rows count: a triplet's, an auto-whitelist entry's. */
    private static final Map<String, String> USES = Map.of("triplet", "1 = 1", "whitelist", "source = 'auto'");

    private PurgeClock() {
    }

    /**
     * How far the latest use vouches for the clock past it: half the shorter of the two lifetimes, so that a purge
     * misled by a clock set ahead never removes a row before half its lifetime.
     */
    static Duration vouch(Duration retryWindow, Duration lifetime) {
        return (retryWindow.compareTo(lifetime) < 0 ? retryWindow : lifetime).dividedBy(2);
    }

    /**
     * The present the purge at {@code now} judges expiry by: {@code now} when the greydb holds a use from between
     * {@link #vouch} and the longer lifetime before it, or when it holds no use older than {@link #vouch} (a new
     * greydb); otherwise {@link #vouch} after the latest use, if that is earlier.
     *
     * @throws StoreException when the greydb cannot be read
     */
    static Instant judgedAt(GreydbDialect dialect, GreydbSql sql, Instant now, Duration retryWindow, Duration lifetime) {
        Duration vouch = vouch(retryWindow, lifetime);
        Duration longer = retryWindow.compareTo(lifetime) < 0 ? lifetime : retryWindow;
        long notAfter = now.minus(vouch).getEpochSecond();
        long windowAfter = now.minus(longer).getEpochSecond();
        Long latest = null;
        for (ExpiringTable table : ExpiringTable.all(now, now, retryWindow, lifetime)) {
            String counted = USES.get(table.name());
            if (counted == null) {
                continue;
            }
            List<String> from = null;
            while (true) {
                List<String> stretchAfter = from;
                GreydbSql.UseChunk chunk = dialect.transaction("cannot read the greydb's latest use to purge it",
                        System.nanoTime() + dialect.timeoutNanos(), false, conn -> sql.useChunk(conn, table, counted,
                                stretchAfter, ExpiredRowsPurge.CHUNK_ROWS, windowAfter, notAfter));
                if (chunk.usedBetween()) {
                    return now;
                }
                if (chunk.latestUpTo() != null && (latest == null || chunk.latestUpTo() > latest)) {
                    latest = chunk.latestUpTo();
                }
                if (chunk.end() == null) {
                    break;
                }
                from = chunk.end();
            }
        }
        if (latest == null) {
            return now;
        }
        Instant vouched = Instant.ofEpochSecond(latest).plus(vouch);
        if (!vouched.isBefore(now)) {
            return now;
        }
        LOG.warn("greydb: its latest use is {}, {} days before the clock, and it holds none from between {} and {} ago,"
                + " as a clock set ahead leaves it; the purge removes only what had expired by {}, not what the clock"
                + " says has, until the greydb holds uses {} old by the clock",
                Instant.ofEpochSecond(latest), Duration.between(Instant.ofEpochSecond(latest), now).toDays(),
                Durations.format(vouch), Durations.format(longer), vouched, Durations.format(vouch));
        return vouched;
    }
}
