package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PurgeClock} reads the greydb a stretch of the primary key at a time, as the purge itself does: a greydb whose
 * uses are all recent (a new one, a busy first day) is read whole before each purge, and read in one transaction it
 * held the programs' one SQLite connection the whole time, every decision waiting behind it (3 million triplets: 0.6 s
 * from the page cache, 3.4 s from the disk, past greydaemon's 2 s busy timeout). What it concludes is unchanged.
 */
class PurgeClockStretchesTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final Duration RETRY_WINDOW = Duration.ofHours(24);
    private static final Duration LIFETIME = Duration.ofDays(36);

    @TempDir
    Path dir;

    /** A greydb of {@code rows} triplets last used at {@code lastSeen}. */
    private Path greydb(int rows, Instant lastSeen) throws Exception {
        return ManyTriplets.greydb(dir.resolve("greylite.db"), rows, lastSeen.getEpochSecond());
    }

    /** Judges the purge's present on {@code db}, counting the read transactions it took. */
    private static Instant judged(Path db, AtomicInteger reads) {
        SqliteDialect real = SqliteDialect.open(db, Duration.ofSeconds(5));
        GreydbDialect counting = (GreydbDialect) Proxy.newProxyInstance(PurgeClockStretchesTest.class.getClassLoader(),
                new Class<?>[] {GreydbDialect.class}, (proxy, method, args) -> {
                    if (method.getName().equals("transaction")) {
                        reads.incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try {
            return PurgeClock.judgedAt(counting, new GreydbSql(counting), NOW, RETRY_WINDOW, LIFETIME);
        } finally {
            real.close();
        }
    }

    @Test
    void aGreydbOfRecentUsesIsReadAStretchAtATimeAndJudgedByTheClock() throws Exception {
        int rows = 5 * ExpiredRowsPurge.CHUNK_ROWS + 17;
        Path db = greydb(rows, NOW.minus(Duration.ofHours(1)));
        AtomicInteger reads = new AtomicInteger();
        assertEquals(NOW, judged(db, reads), "no use older than half the retry window: a new greydb, the clock is right");
        // Six stretches of the triplets, and the whitelist's one (empty); not one transaction over all of them.
        assertTrue(reads.get() >= 7, reads + " read transactions");
    }

    @Test
    void aGreydbLeftBehindByAClockSetAheadIsStillJudgedByItsLatestUse() throws Exception {
        Instant lastUse = NOW.minus(Duration.ofDays(400));
        Path db = greydb(3 * ExpiredRowsPurge.CHUNK_ROWS, lastUse);
        AtomicInteger reads = new AtomicInteger();
        assertEquals(lastUse.plus(PurgeClock.vouch(RETRY_WINDOW, LIFETIME)), judged(db, reads),
                "every use older than the longer lifetime: the present is half the retry window after the latest");
    }

    @Test
    void aGreydbInUseIsJudgedByTheClockAtItsFirstStretch() throws Exception {
        Path db = greydb(3 * ExpiredRowsPurge.CHUNK_ROWS, NOW.minus(Duration.ofDays(2)));
        AtomicInteger reads = new AtomicInteger();
        assertEquals(NOW, judged(db, reads));
        assertEquals(1, reads.get(), "a use in the window ends the look at once");
    }
}
