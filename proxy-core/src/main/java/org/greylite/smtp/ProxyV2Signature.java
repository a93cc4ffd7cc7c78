package org.greylite.smtp;

/**
 * The fixed first twelve bytes of a PROXY protocol version 2 header (HAProxy's specification, 2.2): greylited sends
 * them to an upstream, reads them from a trusted load balancer, and must recognise them from anyone else. Read as
 * SMTP lines they are two empty lines, a NUL and {@code QUIT}: a client sending such a header was not refused, as
 * a version 1 {@code PROXY} line is, but had the upstream answer its {@code QUIT}.
 */
public final class ProxyV2Signature {

    private static final byte[] BYTES = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    /**
     * How much of the signature must have come before the rest is waited for: {@code CRLF CRLF NUL} begins no SMTP
     * command, so waiting holds up no client that speaks SMTP, where a lone CRLF might be one's first line.
     */
    private static final int WAIT_AFTER = 5;

    /** What the head of the client's input is. */
    public enum Match {
        /** The whole signature. */
        SIGNATURE,
        /** The start of it, far enough in to wait for the rest. */
        PARTIAL,
        /** Anything else. */
        NONE
    }

    private ProxyV2Signature() {
    }

    /** The signature's bytes (a copy). */
    public static byte[] bytes() {
        return BYTES.clone();
    }

    public static int length() {
        return BYTES.length;
    }

    /** Whether {@code in} starts with the signature; cheap when it does not (one byte compared, most often). */
    public static Match at(ByteQueue in) {
        int n = Math.min(in.size(), BYTES.length);
        for (int i = 0; i < n; i++) {
            if (in.get(i) != BYTES[i]) {
                return Match.NONE;
            }
        }
        if (n == BYTES.length) {
            return Match.SIGNATURE;
        }
        return n >= WAIT_AFTER ? Match.PARTIAL : Match.NONE;
    }
}
