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
 * #REMEASURE_SECONDS} s (a host's clock stepped by NTP, a failover to a server whose clock differs, are followed
 * within that), and moves only when a measurement is a whole second or more from it: the greydb keeps whole seconds,
 * and hosts whose clocks agree within a second (NTP) keep their own time, untouched.
 */
final class ServerClock {

    private static final Logger LOG = LoggerFactory.getLogger(ServerClock.class);

    /** How often the offset is measured again. */
    static final long REMEASURE_SECONDS = 60;

    /** A measurement whose round trip took longer says too little (half of it is the error): it is dropped. */
    private static final long MAX_ROUND_TRIP_MILLIS = 1000;

    private final String greydb;
    private final AtomicBoolean measuring = new AtomicBoolean();
    private volatile long offsetSeconds;
    private volatile boolean measured;
    private volatile long measuredAtNanos;

    /** @param greydb the greydb, for the log */
    ServerClock(String greydb) {
        this.greydb = greydb;
    }

    /** How many seconds the server's clock is ahead of this host's (behind when negative). */
    long offsetSeconds() {
        return offsetSeconds;
    }

    /**
     * Measures the offset on {@code conn} (a connection of the pool, not in a transaction) when it was never measured
     * or not for {@link #REMEASURE_SECONDS}; one thread at a time, the others go on with the offset they find. A
     * measurement that fails (the connection broke) changes nothing, and is tried again at the next connection; the
     * caller's own statements meet the broken connection and deal with it as they do.
     */
    void measureIfDue(Connection conn) {
        if (measured && System.nanoTime() - measuredAtNanos < TimeUnit.SECONDS.toNanos(REMEASURE_SECONDS)) {
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
            measuredAtNanos = System.nanoTime();
            measured = true;
            if (after - before <= MAX_ROUND_TRIP_MILLIS) {
                adopt(server - (before + after) / 2);
            }
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

    /** Takes {@code offsetMillis} as the offset when it is a second or more from the one in use, and says so. */
    private void adopt(long offsetMillis) {
        long current = offsetSeconds;
        if (Math.abs(offsetMillis - current * 1000) < 1000) {
            return;
        }
        long seconds = Math.round(offsetMillis / 1000.0);
        offsetSeconds = seconds;
        if (seconds == 0) {
            LOG.warn("{}: this host's clock agrees with the server's again; the greydb's times are this host's",
                    greydb);
        } else {
            LOG.warn("{}: this host's clock is {} s {} the PostgreSQL server's; the times this host writes in the"
                    + " greydb, and compares with it, are the server's (set this host's clock right: NTP)", greydb,
                    Math.abs(seconds), seconds > 0 ? "behind" : "ahead of");
        }
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
            return host.instant().plusSeconds(offsetSeconds);
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
