package org.greylite.relay;

/**
 * The back-pressure rule of both transports: when more than {@link #HIGH_WATER} bytes wait to be written to
 * the client, reading stops on both sides (the client is not reading its replies; the upstream would only add
 * to them); when that much waits for the upstream, reading from the client stops. Reading resumes once the
 * queue is back under {@link #LOW_WATER}. A slow reader on either side therefore never makes memory grow
 * without bound. (The relay holds the client for its own unread input through {@link ReadGate#RELAY_QUEUE}.)
 *
 * <p>Two marks rather than one, so that a queue hovering at the limit does not suspend and resume reading
 * at every write.
 */
public final class BackPressure {

    public static final long HIGH_WATER = 256 * 1024;
    public static final long LOW_WATER = 64 * 1024;

    private final ReadGate clientGate;
    private volatile ReadGate upstreamGate;
    private boolean clientOver;
    private boolean upstreamOver;

    /** @param clientGate the gate of the client's connection; the upstream's comes once it is connected */
    public BackPressure(ReadGate clientGate) {
        this.clientGate = clientGate;
    }

    /** The gate of the upstream's connection, once there is one; a client backlog already there holds it too. */
    public synchronized void upstreamGate(ReadGate gate) {
        this.upstreamGate = gate;
        gate.set(ReadGate.PEER_BACKLOG, clientOver);
    }

    /** Whether a queue of {@code queued} bytes is over the limit, given whether it was over before. */
    public static boolean over(boolean wasOver, long queued) {
        return wasOver ? queued >= LOW_WATER : queued > HIGH_WATER;
    }

    /** {@code queued} bytes now wait to be written to the client. */
    public synchronized void clientQueued(long queued) {
        boolean now = over(clientOver, queued);
        if (now != clientOver) {
            clientBacklog(now);
        }
    }

    /** {@code queued} bytes now wait to be written to the upstream. */
    public synchronized void upstreamQueued(long queued) {
        boolean now = over(upstreamOver, queued);
        if (now != upstreamOver) {
            upstreamBacklog(now);
        }
    }

    /** Whether the client's queue is over the limit: it is not reading its replies, and the upstream waits for it. */
    public synchronized boolean clientBacklogged() {
        return clientOver;
    }

    /** Whether the upstream's queue is over the limit: it is not taking what it is sent, and the client waits for it. */
    public synchronized boolean upstreamBacklogged() {
        return upstreamOver;
    }

    /** The client's queue went over the limit (true) or back under it (false). */
    public synchronized void clientBacklog(boolean over) {
        clientOver = over;
        clientGate.set(ReadGate.OWN_BACKLOG, over);
        ReadGate g = upstreamGate;
        if (g != null) {
            g.set(ReadGate.PEER_BACKLOG, over);
        }
    }

    /** The upstream's queue went over the limit (true) or back under it (false). */
    public synchronized void upstreamBacklog(boolean over) {
        upstreamOver = over;
        clientGate.set(ReadGate.PEER_BACKLOG, over);
    }
}
