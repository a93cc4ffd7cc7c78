package org.greylite.greylist;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * What "the client" means in a triplet and on the auto-whitelist: its exact address, or the network
 * around it. Keying on the network lets senders that retry from another address of the same pool
 * (common for large providers) match their first attempt.
 */
public final class ClientKeys {

    /** How a client address becomes a key. */
    public enum Mode { IP, NET }

    private final Mode mode;
    private final int ipv4Prefix;
    private final int ipv6Prefix;

    public ClientKeys(Mode mode, int ipv4Prefix, int ipv6Prefix) {
        if (ipv4Prefix < 1 || ipv4Prefix > 32 || ipv6Prefix < 1 || ipv6Prefix > 128) {
            throw new IllegalArgumentException("prefix lengths must be 1-32 (IPv4) and 1-128 (IPv6)");
        }
        this.mode = mode;
        this.ipv4Prefix = ipv4Prefix;
        this.ipv6Prefix = ipv6Prefix;
    }

    /** The default: /24 for IPv4, /64 for IPv6. */
    public static ClientKeys networks() {
        return new ClientKeys(Mode.NET, 24, 64);
    }

    public static ClientKeys exactAddresses() {
        return new ClientKeys(Mode.IP, 32, 128);
    }

    public Mode mode() {
        return mode;
    }

    /** The key, e.g. {@code 192.0.2.7}, {@code 192.0.2.0/24} or {@code 2001:db8:0:1:0:0:0:0/64}. */
    public String keyFor(InetAddress address) {
        InetAddress a = unmapped(address);
        boolean v4 = a instanceof Inet4Address;
        int prefix = mode == Mode.IP ? (v4 ? 32 : 128) : (v4 ? ipv4Prefix : ipv6Prefix);
        if (prefix == (v4 ? 32 : 128)) {
            return a.getHostAddress();
        }
        byte[] bytes = a.getAddress();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: the length is right
        }
    }

    /** An IPv4-mapped IPv6 address (::ffff:192.0.2.1, as dual-stack sockets report) is its IPv4 address. */
    static InetAddress unmapped(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return a;
    }
}
