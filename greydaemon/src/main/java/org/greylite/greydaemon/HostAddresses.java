package org.greylite.greydaemon;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.greylite.net.AddressText;

/**
 * The addresses a wildcard stands for: those of the host's interfaces, IPv4 alone for {@code 0.0.0.0}, both
 * families for {@code [::]} (a socket bound to {@code [::]} takes IPv4 datagrams too, so the wildcard promised
 * them). An address that is local only by a route (the rest of 127.0.0.0/8 beside lo's 127.0.0.1, an "AnyIP"
 * prefix) is on no interface and is not among them: a socket for each address of a /8 is out of the question.
 */
final class HostAddresses {

    private HostAddresses() {
    }

    /** Whether {@code listen} is a wildcard, which {@link #under} turns into the host's addresses. */
    static boolean isWildcard(InetAddress listen) {
        return listen.isAnyLocalAddress();
    }

    /**
     * The host's addresses the wildcard {@code wildcard} stands for, in the order the interfaces list them, each
     * by its text ({@link AddressText#of}: a link-local address with its interface, {@code fe80::1%eth0}). Not a
     * set of {@link InetAddress}: Java's equality leaves the interface out, and a link-local address on two links
     * (fe80::1 is a common choice) is two addresses, each needing a socket bound on its own link.
     */
    static Map<String, InetAddress> under(InetAddress wildcard) throws SocketException {
        boolean ipv6 = wildcard instanceof Inet6Address;
        Map<String, InetAddress> found = new LinkedHashMap<>();
        for (NetworkInterface i : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress a : Collections.list(i.getInetAddresses())) {
                if (a instanceof Inet4Address || ipv6 && a instanceof Inet6Address) {
                    InetAddress bound = withoutNeedlessScope(a);
                    found.putIfAbsent(AddressText.of(bound), bound);
                }
            }
        }
        return found;
    }

    /**
     * Java names every IPv6 address of an interface with the interface as its scope ({@code fd00::2%eth0}); only
     * a link-local address needs it to be bound. Without it the others compare, and read in the log, as written.
     */
    private static InetAddress withoutNeedlessScope(InetAddress a) {
        if (a instanceof Inet6Address && !a.isLinkLocalAddress()) {
            try {
                return InetAddress.getByAddress(a.getAddress());
            } catch (UnknownHostException e) {
                throw new IllegalStateException("16 bytes are an address", e);
            }
        }
        return a;
    }
}
