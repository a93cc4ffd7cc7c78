package org.greylite.daemon;

import java.time.Duration;

import org.apache.mina.core.session.IoSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.greylite.relay.RelaySession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * greylited's sessions on SIGTERM, once the listener is closed: those with nothing under way are told
 * {@code 421 4.3.2} at once, those in a transaction as soon as it ends, and whatever is still open when the grace
 * period is over is told the same, its upstream connection dropped with any partial message.
 *
 * <p>Holding every session silent for the grace period and then closing it without a word (as before) kept
 * clients waiting for nothing and left them guessing; RFC 5321 3.8 has a server that must go say 421 first, and a
 * client told 421 retries at once, at another MX or later. Closing sessions in a transaction at once was rejected
 * too: the grace period is there so that a message being sent is not sent again.
 */
final class StoppingSessions {

    private static final Logger LOG = LoggerFactory.getLogger(StoppingSessions.class);

    /** How long the last 421s may take to reach the clients before their connections are closed regardless. */
    static final Duration LAST_REPLIES = Duration.ofSeconds(2);

    private final NioSocketAcceptor acceptor;

    StoppingSessions(NioSocketAcceptor acceptor) {
        this.acceptor = acceptor;
    }

    /** Returns once every session has ended, or {@code grace} and then the last replies' time are over. */
    void stop(Duration grace) {
        int left = acceptor.getManagedSessionCount();
        if (left > 0 && !grace.isZero()) {
            LOG.info("stopping: {} session(s) open; those with nothing under way are closed now, the others may"
                    + " finish their transaction within {}s", left, grace.getSeconds());
            tellSessions(false);
            awaitEnded(grace);
            left = acceptor.getManagedSessionCount();
            if (left > 0) {
                LOG.warn("stopping: closing {} session(s) still open after {}s", left, grace.getSeconds());
            }
        }
        if (left > 0) {
            tellSessions(true);
            awaitEnded(LAST_REPLIES);
        }
    }

    /** Tells every session the server stops: now, or once nothing is under way (see {@link RelaySession#stop}). */
    private void tellSessions(boolean now) {
        for (IoSession s : acceptor.getManagedSessions().values()) {
            RelaySession relay = (RelaySession) s.getAttribute(MinaRelayTransport.RELAY);
            if (relay != null) {
                relay.stop(now);
            }
        }
    }

    private void awaitEnded(Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (acceptor.getManagedSessionCount() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
