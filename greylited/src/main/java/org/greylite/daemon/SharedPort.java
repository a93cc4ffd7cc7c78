package org.greylite.daemon;

import java.net.InetSocketAddress;

import org.greylite.net.AddressText;

/**
 * Two listening settings of greylited that name the same port of the same address (or one of them every address):
 * the first to bind takes it, and the second is refused with "Address already in use", which reads as a port another
 * program holds for a while and ends the start with the status a service manager retries (111) for ever. The port is
 * greylited's own, so it is a mistake of the configuration, said before anything binds.
 */
final class SharedPort {

    private SharedPort() {
    }

    /**
     * @param first  an address greylited listens on, with the setting (flag or variable) that named it
     * @param second another one, or null when not set
     * @throws IllegalArgumentException when both would take the same port
     */
    static void refuse(String firstOrigin, InetSocketAddress first, String secondOrigin, InetSocketAddress second) {
        if (second == null || first.getPort() == 0 || first.getPort() != second.getPort()) {
            return; // port 0 is any free port: two of them never meet
        }
        boolean overlap = first.getAddress().equals(second.getAddress()) || first.getAddress().isAnyLocalAddress()
                || second.getAddress().isAnyLocalAddress();
        if (overlap) {
            throw new IllegalArgumentException(secondOrigin + " (" + AddressText.withPort(second) + ") and "
                    + firstOrigin + " (" + AddressText.withPort(first) + ") take the same port: give each its own");
        }
    }
}
