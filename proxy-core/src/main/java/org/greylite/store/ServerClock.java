package org.greylite.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server's clock, as this host sees it: how many whole seconds it is ahead of this host's wall clock
 * ({@link #offsetSeconds}), and a host's clock moved by that much ({@link #applyTo}). Every host of a greydb shared by
 * several MX hosts writes and compares times on the one clock they all reach, the server's: a triplet refused at a
 * host whose clock is a minute behind, retried at one whose clock is right, was otherwise refused as too early (or,
 * the other way round, counted a minute late), and whitelist entries expired early or late by the difference.
 *
 * <p>Why an offset rather than {@code now()} in the statements: the engine decides in Java with times from its clock
 * (how long since the first attempt, when to renew a whitelist entry, how long until a retry counts), and its tests
 * set that clock; the server's {@code now()} would take part of the decision out of it, and cost a read in every
 * decision. The offset is measured on a connection the program takes anyway, at most once every {@link
 * #REMEASURE_SECONDS} s (a failover to a server whose clock differs is followed within that), and moves only when a
 * measurement is a whole second or more from it: the greydb keeps whole seconds, and hosts whose clocks agree within a
 * second (NTP) keep their own time, untouched.
 *
 * <h2>A step of the host's clock</h2>
 * The offset holds only while the host's clock runs on as it did when it was measured. NTP stepping it (a host whose
 * clock was behind, corrected) moved every time the host wrote by the step, for up to {@link #REMEASURE_SECONDS} s: a
 * step forward of an hour let a retry made a moment after its first attempt pass, the hour looking like min-delay
 * gone by. So the host's wall clock is compared with its monotonic clock, which a step does not move: the whole
 * seconds they drifted apart since the measurement are taken off the host's time at once (the time in hand when a
 * decision starts, before it takes its connection), and the offset is measured again at the next connection.
 */
final class ServerClock {

    private static final Logger LOG = LoggerFactory.getLogger(ServerClock.class);

    /** How often the offset is measured again. */
    static final long REMEASURE_SECONDS = 60;

    /** A measurement whose round trip took longer says too little (half of it is the error): it is dropped. */
    private static final long MAX_ROUND_TRIP_MILLIS = 1000;

    private final String greydb;
    private final AtomicBoolean measuring = new AtomicBoolean();
    /** The offset in use and when it was measured; null before the first measurement. */
    private volatile Measured measured;

    /**
     * The offset in use, and this host's monotonic clock ({@link System#nanoTime}) and wall clock (milliseconds) when
     * it was measured: one value, so that a look at the time never pairs an offset with another measurement's times.
     */
    private record Measured(long offsetSeconds, long nanos, long wallMillis) {

        /** Measured just now, on both clocks. */
        static Measured now(long offsetSeconds) {
            return new Measured(offsetSeconds, System.nanoTime(), System.currentTimeMillis());
        }

        /**
         * The whole seconds this host's wall clock was stepped by since then (forward: positive): how far it moved
         * beyond, or short of, the monotonic clock; 0 for less than a second (NTP's slewing stays far below that).
         */
        long hostStepSeconds() {
            long wall = System.currentTimeMillis() - wallMillis;
            long monotonic = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
            return Math.round((wall - monotonic) / 1000.0);
        }

        /** The offset as it is now: the one measured, less the host's step since. */
        long offsetNow() {
            return offsetSeconds - hostStepSeconds();
        }
    }

    /** @param greydb the greydb, for the log */
    ServerClock(String greydb) {
        this.greydb = greydb;
    }

    /** How many seconds the server's clock is ahead of this host's (behind when negative). */
    long offsetSeconds() {
        Measured m = measured;
        return m == null ? 0 : m.offsetNow();
    }

    /**
     * Measures the offset on {@code conn} (a connection of the pool, not in a transaction) when it was never measured
     * or not for {@link #REMEASURE_SECONDS}; one thread at a time, the others go on with the offset they find. A
     * measurement that fails (the connection broke) changes nothing, and is tried again at the next connection; the
     * caller's own statements meet the broken connection and deal with it as they do.
     */
    void measureIfDue(Connection conn) {
        Measured last = measured;
        if (last != null && System.nanoTime() - last.nanos() < TimeUnit.SECONDS.toNanos(REMEASURE_SECONDS)
                && last.hostStepSeconds() == 0) {
            return;
        }
        if (!measuring.compareAndSet(false, true)) {
            return;
        }
        try {
            long before = System.currentTimeMillis();
            long server;
            try (Statement st = conn.createStatement();
                 // clock_timestamp(), not now(): now() is when the transaction began, which may be before the read.
                 ResultSet rs = st.executeQuery("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint")) {
                rs.next();
                server = rs.getLong(1);
            }
            long after = System.currentTimeMillis();
            conn.commit(); // the caller's transaction starts anew, after the read
            // A measurement dropped keeps the offset as the host's step since the last one has made it.
            measured = Measured.now(after - before <= MAX_ROUND_TRIP_MILLIS
                    ? adopt(last == null ? 0 : last.offsetSeconds(), server - (before + after) / 2)
                    : last == null ? 0 : last.offsetNow());
        } catch (SQLException e) {
            try {
                conn.rollback();
            } catch (SQLException ignored) {
                // broken: the caller's first statement says so
            }
        } finally {
            measuring.set(false);
        }
    }

    /**
     * The offset to use after measuring {@code offsetMillis}: that one when it is a second or more from {@code
     * current}, said in the log, else {@code current}.
     */
    private long adopt(long current, long offsetMillis) {
        if (Math.abs(offsetMillis - current * 1000) < 1000) {
            return current;
        }
        long seconds = Math.round(offsetMillis / 1000.0);
        if (seconds == 0) {
            LOG.warn("{}: this host's clock agrees with the server's again; the greydb's times are this host's",
                    greydb);
        } else {
            LOG.warn("{}: this host's clock is {} s {} the PostgreSQL server's; the times this host writes in the"
                    + " greydb, and compares with it, are the server's (set this host's clock right: NTP)", greydb,
                    Math.abs(seconds), seconds > 0 ? "behind" : "ahead of");
        }
        return seconds;
    }

    /** {@code hostClock} moved by the offset, as it is at each look: the time on the server's clock. */
    Clock applyTo(Clock hostClock) {
        return new Aligned(hostClock);
    }

    private final class Aligned extends Clock {
        private final Clock host;

        Aligned(Clock host) {
            this.host = host;
        }

        @Override
        public Instant instant() {
            Measured m = measured;
            return m == null ? host.instant() : host.instant().plusSeconds(m.offsetNow());
        }

        @Override
        public ZoneId getZone() {
            return host.getZone();
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return new Aligned(host.withZone(zone));
        }
    }
}
