package org.greylite.relay;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.greylite.net.AddressText;
import org.greylite.smtp.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's bounds in time, and the proxy's stop: the three ways a session is ended by the clock rather than
 * by what was said.
 *
 * <p><b>The session deadline.</b> The idle timeout drops a silent client, but a client that sends one byte a
 * second is never silent, and holds an upstream session as long as it likes: 500 such clients held 500. So a
 * session also has a deadline for the whole of it, as Exchange's receive connectors have ({@code ConnectionTimeout},
 * 10 minutes); Postfix bounds the time per command instead ({@code smtpd_per_request_deadline}), which a client
 * sending many commands slowly still stretches. Past the deadline the client gets {@code 421 4.7.0} whatever it is
 * doing. In the middle of a message the upstream connection is dropped, not closed: the upstream discards the
 * partial message (a message cut short is never delivered as if it were whole), and the client, told 421, sends
 * it again later.
 *
 * <p><b>The greeting's own bound.</b> RFC 5321 4.5.3.2.1 gives the initial 220 five minutes; the upstream
 * timeout, ten by default, is for the replies to commands. An upstream that accepts the connection but never
 * greets (a server at its process limit leaves the connection in its listen queue) is given up after the
 * greeting timeout, counted as an upstream timeout.
 *
 * <p><b>The stop.</b> On SIGTERM, a session with nothing under way (no transaction begun, no reply owed, no
 * message) is told {@code 421 4.3.2} at once, rather than held silent for the grace period and then cut off; a
 * session in a transaction finishes it and is told the same as soon as it is between transactions. What is still
 * open when the grace period ends is told too, its upstream connection dropped with any partial message.
 */
final class SessionLimits {

    private static final Logger LOG = LoggerFactory.getLogger(SessionLimits.class);

    private final RelayTransport transport;
    private final RelaySettings settings;
    private final SessionInfo info;
    private final RelayEvents events;
    private final Object lock;
    private final BooleanSupplier waitingForGreeting;
    private final BooleanSupplier betweenTransactions;
    private final BooleanSupplier midMessage;
    private final BooleanSupplier closed;
    private final Consumer<Reply> end;
    private boolean stopping;

    /**
     * @param lock                the session's lock, held by every call in and taken by the timers
     * @param betweenTransactions whether nothing is under way that a 421 now would cut short
     * @param end                 tells the client the reply and ends the session, dropping the upstream connection
     */
    SessionLimits(RelayTransport transport, RelaySettings settings, SessionInfo info, RelayEvents events, Object lock,
                  BooleanSupplier waitingForGreeting, BooleanSupplier betweenTransactions, BooleanSupplier midMessage,
                  BooleanSupplier closed, Consumer<Reply> end) {
        this.transport = transport;
        this.settings = settings;
        this.info = info;
        this.events = events;
        this.lock = lock;
        this.waitingForGreeting = waitingForGreeting;
        this.betweenTransactions = betweenTransactions;
        this.midMessage = midMessage;
        this.closed = closed;
        this.end = end;
    }

    /** The session has begun: its deadline runs from now. */
    void started() {
        if (settings.sessionDeadlineMillis() > 0) {
            transport.schedule(settings.sessionDeadlineMillis(), this::deadlineReached);
        }
    }

    /** The upstream is connected: its greeting is due within the greeting timeout. */
    void upstreamConnected() {
        if (settings.greetingTimeoutMillis() > 0) {
            transport.schedule(settings.greetingTimeoutMillis(), this::greetingTimedOut);
        }
    }

    /** Whether the greeting has a bound of its own, so the upstream timeout does not apply to it. */
    boolean greetingBounded() {
        return settings.greetingTimeoutMillis() > 0;
    }

    /** The proxy is stopping: end the session now if nothing is under way, or {@code now} regardless. */
    void stop(boolean now) {
        stopping = true;
        if (closed.getAsBoolean()) {
            return;
        }
        if (now) {
            LOG.info("client {}: still in session at the end of the stop's grace period{}; closing with 421",
                    address(), midMessage.getAsBoolean() ? " (mid-message: the upstream connection is dropped so it"
                            + " discards the partial message)" : "");
            end.accept(settings.replies().shuttingDown());
        } else {
            afterEvent();
        }
    }

    /** After every event of the session: a stopping session ends as soon as it is between transactions. */
    void afterEvent() {
        if (stopping && !closed.getAsBoolean() && betweenTransactions.getAsBoolean()) {
            LOG.debug("client {}: stopping, nothing under way; closing with 421", address());
            end.accept(settings.replies().shuttingDown());
        }
    }

    private void deadlineReached() {
        synchronized (lock) {
            if (closed.getAsBoolean()) {
                return;
            }
            LOG.info("client {} still in session after the session deadline of {} s{}; closing with 421", address(),
                    settings.sessionDeadlineMillis() / 1000, midMessage.getAsBoolean() ? " (mid-message: the upstream"
                            + " connection is dropped so it discards the partial message)" : "");
            events.sessionDeadlineReached(info);
            end.accept(settings.replies().sessionTooLong());
        }
    }

    private void greetingTimedOut() {
        synchronized (lock) {
            if (closed.getAsBoolean() || !waitingForGreeting.getAsBoolean()) {
                return;
            }
            LOG.error("upstream sent no greeting within {} s in the session of client {}",
                    settings.greetingTimeoutMillis() / 1000, address());
            events.upstreamFailed(info, RelayEvents.UpstreamFailure.TIMEOUT);
            end.accept(settings.replies().upstreamUnavailable());
        }
    }

    private String address() {
        return AddressText.of(info.client());
    }
}
