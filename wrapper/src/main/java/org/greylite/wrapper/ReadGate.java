package org.greylite.wrapper;

/**
 * Holds a reader thread back while any reason to stop reading applies. Reasons are bits, set and
 * cleared independently by whoever owns them, so that one side clearing its reason never resumes a
 * reader another reason still holds. Setting and clearing never block (they may be called with the
 * relay's lock held); only {@link #awaitOpen()} waits, and it holds no other lock while it does.
 */
final class ReadGate {

    /** The relay holds enough unread input of this side. */
    static final int RELAY_QUEUE = 1;
    /** The writes queued for this side are not being taken: it is not reading what it is sent. */
    static final int OWN_BACKLOG = 2;
    /** The writes queued for the other side are not being taken: reading more would only grow them. */
    static final int PEER_BACKLOG = 4;

    private int reasons;
    private boolean released;

    synchronized void set(int reason, boolean on) {
        reasons = on ? reasons | reason : reasons & ~reason;
        if (reasons == 0) {
            notifyAll();
        }
    }

    /** Opens the gate for good: the session is over and what is left is read only to be discarded. */
    synchronized void release() {
        released = true;
        notifyAll();
    }

    synchronized void awaitOpen() throws InterruptedException {
        while (reasons != 0 && !released) {
            wait();
        }
    }

    synchronized boolean isOpen() {
        return reasons == 0 || released;
    }
}
