package org.greylite.relay;

/**
 * Holds reading from one connection while any reason to hold it applies, and lets it go only when none does.
 * Several parties hold a connection for different reasons (the peer's write queue is full, its own replies
 * are not being read, the relay has enough unread input); reasons are bits, set and cleared independently by
 * whoever owns them, so that one party's resume never undoes another's hold.
 *
 * <p>Both transports use it: an event-driven one (MINA) gives a {@link Switch} that suspends and resumes its
 * session on the transitions; one with a reader thread per side (the wrapper) waits in {@link #awaitOpen()}.
 * Setting and clearing never block (they are called with the relay's lock held); only {@link #awaitOpen()}
 * waits, and it holds no other lock while it does.
 */
public final class ReadGate {

    /** The relay holds enough unread input from this side. */
    public static final int RELAY_QUEUE = 1;
    /** The writes queued for this side are not being taken: it is not reading what it is sent. */
    public static final int OWN_BACKLOG = 2;
    /** The writes queued for the other side are not being taken: reading more would only grow them. */
    public static final int PEER_BACKLOG = 4;

    /** What an event-driven transport does when the gate closes and opens. */
    public interface Switch {
        void suspend();

        void resume();
    }

    private static final Switch NONE = new Switch() {
        @Override
        public void suspend() {
        }

        @Override
        public void resume() {
        }
    };

    private final Switch onChange;
    private int reasons;
    private boolean released;

    /** A gate for a reader thread, which waits in {@link #awaitOpen()}. */
    public ReadGate() {
        this(NONE);
    }

    /** A gate that tells {@code onChange} when it closes (the first reason) and opens (the last one gone). */
    public ReadGate(Switch onChange) {
        this.onChange = onChange;
    }

    public synchronized void set(int reason, boolean hold) {
        int before = reasons;
        reasons = hold ? reasons | reason : reasons & ~reason;
        if (before == 0 && reasons != 0) {
            onChange.suspend();
        } else if (before != 0 && reasons == 0) {
            onChange.resume();
            notifyAll();
        }
    }

    /** Opens the gate for good: the session is over and what is left is read only to be discarded. */
    public synchronized void release() {
        released = true;
        notifyAll();
    }

    /** Waits until no reason holds the reader (or the gate is released). */
    public synchronized void awaitOpen() throws InterruptedException {
        while (reasons != 0 && !released) {
            wait();
        }
    }

    public synchronized boolean isOpen() {
        return reasons == 0 || released;
    }
}
