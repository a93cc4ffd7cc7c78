package org.greylite.daemon;

import org.apache.mina.core.session.IoSession;

/**
 * Suspends reading from a MINA session while any reason to hold it applies, and resumes it only when
 * none does. Several parties hold a session for different reasons (the peer's write queue is full,
 * its own replies are not being read, the relay has enough unread input); without this, one party's
 * resume would undo another's suspend.
 */
final class ReadGate {

    /** The other leg has too many bytes queued for writing. */
    static final int PEER_BACKLOG = 1;
    /** This session's own write queue is full: it is not reading what we send. */
    static final int OWN_BACKLOG = 2;
    /** The relay holds enough unread input from this session. */
    static final int RELAY_QUEUE = 4;

    private final IoSession session;
    private int reasons;

    ReadGate(IoSession session) {
        this.session = session;
    }

    synchronized void set(int reason, boolean hold) {
        int before = reasons;
        reasons = hold ? reasons | reason : reasons & ~reason;
        if (before == 0 && reasons != 0) {
            session.suspendRead();
        } else if (before != 0 && reasons == 0) {
            session.resumeRead();
        }
    }
}
