package org.greylite.daemon;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;

/**
 * Once a second, on the monotonic clock, looks at the {@link IdleWatch watched} sessions of one I/O thread and tells
 * the handler of each one silent for its timeout, as MINA's own idle detection did ({@code sessionIdle}, both ways).
 * It runs on that thread, between its selects: one look per session per second, nothing on the way of a read or a
 * write, and no timer per session.
 */
final class IdleSweep {

    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final LongSupplier nanoClock;
    private long lastSweep;

    /** @param nanoClock the monotonic clock ({@code System::nanoTime}) */
    IdleSweep(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.lastSweep = nanoClock.getAsLong();
    }

    /** Looks at the sessions {@code sessions} gives, if a second has passed since the last look. */
    void runIfDue(Supplier<? extends Iterator<? extends IoSession>> sessions) {
        long now = nanoClock.getAsLong();
        if (now - lastSweep < INTERVAL_NANOS) {
            return;
        }
        lastSweep = now;
        List<IoSession> idle = new ArrayList<>(0);
        for (Iterator<? extends IoSession> i = sessions.get(); i.hasNext(); ) {
            IoSession s = i.next();
            IdleWatch watch = IdleWatch.of(s);
            if (watch != null && !s.isClosing() && watch.idleAt(now, s.getReadBytes() + s.getWrittenBytes())) {
                idle.add(s);
            }
        }
        // Told after the look: a handler may close a session, or start another, while the sessions are walked.
        for (IoSession s : idle) {
            s.getFilterChain().fireSessionIdle(IdleStatus.BOTH_IDLE);
        }
    }

    /** How long the I/O thread may block in a select before the next look is due (at least 1 ms). */
    long millisUntilDue() {
        long left = lastSweep + INTERVAL_NANOS - nanoClock.getAsLong();
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(left) + 1);
    }
}
