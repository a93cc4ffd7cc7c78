package org.greylite.daemon.tls;

/**
 * Refuses TLS 1.2 renegotiation started by a client (TLS 1.3 has none). Each handshake costs greylited a signature
 * on the session's I/O thread, and a client may ask for a new one as often as it likes at almost no cost of its own
 * (CVE-2011-1473): one such client held up every session of its thread. A client never needs it, and Postfix refuses
 * it too. JSSE reads the switch, a system property, once, when its first server handshake starts; so it is set
 * before greylited's context toward clients is made, unless the administrator set it (with {@code -D}) already.
 */
final class ClientRenegotiation {

    static final String PROPERTY = "jdk.tls.rejectClientInitiatedRenegotiation";

    private ClientRenegotiation() {
    }

    /** From now on, a client asking to renegotiate gets a handshake failure and loses its connection. */
    static void refuse() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, "true");
        }
    }
}
