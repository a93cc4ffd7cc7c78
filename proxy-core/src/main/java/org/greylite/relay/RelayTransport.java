package org.greylite.relay;

/**
 * What a {@link RelaySession} needs from the network layer: the standalone server implements it with
 * Apache MINA sessions, the UCSPI wrapper with pipes. Calls come with the relay's lock held and must
 * not block: writes are queued, connecting and closing are asynchronous.
 */
public interface RelayTransport {

    /** Starts connecting to the upstream; the result comes back as {@link RelaySession#onUpstreamConnected()} or {@link RelaySession#onUpstreamConnectFailed}. */
    void connectUpstream();

    void toClient(byte[] bytes);

    void toUpstream(byte[] bytes);

    /** Closes the client's connection once what was written to it has been sent. */
    void closeClient();

    /**
     * Closes the upstream connection.
     *
     * @param abandon true to drop what is still queued and close at once: used when a message must
     *                not be completed (the client vanished mid-DATA); false to flush first
     */
    void closeUpstream(boolean abandon);

    /** Stops (true) or resumes (false) reading from the client, because the relay holds enough unread input. */
    void pauseClientInput(boolean paused);

    /**
     * Whether the upstream is not taking the bytes sent to it (its queue is over the {@link BackPressure} mark), so
     * that reading from the client is held for it: a client silent meanwhile is not idle, the wait is the upstream's.
     */
    default boolean upstreamNotTaking() {
        return false;
    }

    /**
     * Whether the client is not reading what it is sent (its queue is over the {@link BackPressure} mark), so that
     * reading from the upstream is held for it: an upstream silent meanwhile has not failed, the client has.
     */
    default boolean clientNotTaking() {
        return false;
    }

    /** Runs {@code task} after the delay, for the greeting delay. */
    void schedule(long delayMillis, Runnable task);

    /**
     * Whether this transport can terminate TLS on the client's connection (it has a certificate); only then
     * does the relay offer STARTTLS. The UCSPI wrapper's pipes cannot, so by default no transport can.
     */
    default boolean clientTlsAvailable() {
        return false;
    }

    /**
     * Writes {@code ready} (the {@code 220} to STARTTLS) to the client in clear and, once it has been sent and
     * before anything more is read from the client, starts TLS on its connection, then tells
     * {@link RelaySession#onClientTlsStarted()}. What the client sends from then on reaches the relay decrypted.
     * One call, so that the client's TLS hello, which follows the 220 at once, cannot be read in between.
     * The relay calls it only when {@link #clientTlsAvailable()} is true; a transport without TLS never sees it.
     */
    default void startClientTls(byte[] ready) {
        throw new IllegalStateException("STARTTLS started although clientTlsAvailable() is false");
    }
}
