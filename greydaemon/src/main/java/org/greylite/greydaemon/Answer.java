package org.greylite.greydaemon;

/**
 * greydaemon's two-byte answer to a request. The patched qmail-smtpd reads only the first byte: 0 makes it
 * answer the DATA with a temporary failure (greylisted), anything else lets the message in. The second byte
 * says why, for the administrator reading a packet trace or greydaemon's log.
 */
public enum Answer {
    /** The client's address is in a {@code -w} range. */
    WHITELISTED_RANGE(1, 1),
    /** The client's address is known: a message from it passed within {@code -t} days. */
    KNOWN_ADDRESS(1, 2),
    /** Every recipient passed (the retry came after {@code -m} minutes and within {@code -g} hours). */
    PASSED(1, 3),
    /** The null sender to a VERP-style recipient ({@code -...=}): a bounce of mail sent from here. */
    VERP_BOUNCE(1, 4),
    /** A new triplet, recorded and refused. */
    NEW(0, 1),
    /**
     * A retry sooner than {@code -m} minutes after the attempt last refused (the first one, unless a suspicion rule
     * asks for more attempts).
     */
    TOO_SOON(0, 2),
    /** A triplet first seen longer ago than {@code -g} hours: started again, refused. */
    STALE(0, 3);

    private final byte accept;
    private final byte why;

    Answer(int accept, int why) {
        this.accept = (byte) accept;
        this.why = (byte) why;
    }

    /** The datagram to send: the two bytes, e.g. {@code {1, 3}}. */
    public byte[] bytes() {
        return new byte[] {accept, why};
    }

    public boolean accepts() {
        return accept != 0;
    }

    /** As greydaemon's documentation writes it: {@code 1,3}. */
    @Override
    public String toString() {
        return accept + "," + why;
    }
}
