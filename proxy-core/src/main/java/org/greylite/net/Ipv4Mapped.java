package org.greylite.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4-mapped IPv6 addresses ({@code ::ffff:192.0.2.1}), as a dual-stack socket reports an IPv4 client:
 * everything that compares, keys or writes a client's address takes such an address as the IPv4 address it
 * carries, as tcpserver does, so one client has one identity whichever socket it came in on.
 */
public final class Ipv4Mapped {

    private Ipv4Mapped() {
    }

    /** The IPv4 address {@code a} carries, or {@code a} itself when it is not IPv4-mapped. */
    public static InetAddress unwrap(InetAddress a) {
        byte[] b = a.getAddress();
        byte[] v4 = unwrap(b);
        if (v4 == b) {
            return a;
        }
        try {
            return InetAddress.getByAddress(v4);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: four bytes are an IPv4 address
        }
    }

    /** The four bytes of the IPv4 address {@code b} carries, or {@code b} itself when it is not IPv4-mapped. */
    public static byte[] unwrap(byte[] b) {
        if (b.length != 16 || b[10] != (byte) 0xff || b[11] != (byte) 0xff) {
            return b;
        }
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return b;
            }
        }
        return new byte[] {b[12], b[13], b[14], b[15]};
    }
}
