package org.greylite.relay;

/**
 * Told what happens to {@link RelaySession}s, for metrics: a session opening and ending, the upstream
 * failing it. Called with the session's lock held, possibly from I/O threads: implementations must be
 * quick and must not block (counters, not I/O). Every method does nothing by default.
 */
public interface RelayEvents {

    /** Nothing is told to anyone. */
    RelayEvents NONE = new RelayEvents() {
    };

    /** How the upstream let a session down; the client got {@code 421 4.3.0} each time. */
    enum UpstreamFailure {
        /** It could not be connected to (refused, unreachable, connect timeout). */
        CONNECT("connect"),
        /** It closed the connection without announcing it (no 221 or 421). */
        CLOSED("closed"),
        /** It owed a reply and was silent for the upstream timeout. */
        TIMEOUT("timeout"),
        /**
         * It sent something that is not an SMTP reply, or refused what the proxy must be able to send it: an RSET of
         * the proxy's own, or, in the upstream-first order, the envelope it had accepted, said again without a
         * greylisted recipient.
         */
        PROTOCOL("protocol");

        private final String label;

        UpstreamFailure(String label) {
            this.label = label;
        }

        /** The name in logs and metrics. */
        public String label() {
            return label;
        }
    }

    /** A session has started (the client is connected and was let in). */
    default void sessionOpened(SessionInfo info) {
    }

    /** The session has ended, whatever the reason; called once per opened session. */
    default void sessionClosed(SessionInfo info) {
    }

    /** The client sent more junk commands than allowed and got {@code 421}; {@link #sessionClosed} follows. */
    default void tooManyCommands(SessionInfo info) {
    }

    /** The session deadline passed and the client got {@code 421}; {@link #sessionClosed} follows. */
    default void sessionDeadlineReached(SessionInfo info) {
    }

    /**
     * Upstream-first order: the upstream refused a recipient before greylisting was asked, with {@code code}
     * (4xx or 5xx), which went back to the client unchanged; nothing was written in the greydb.
     */
    default void recipientRefusedUpstream(SessionInfo info, int code) {
    }

    /** The upstream failed the session; {@link #sessionClosed} follows. */
    default void upstreamFailed(SessionInfo info, UpstreamFailure failure) {
    }
}
