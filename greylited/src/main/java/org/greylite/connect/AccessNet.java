package org.greylite.connect;

import java.net.InetAddress;

import org.greylite.net.Ipv4Mapped;

/**
 * A network of the access file, and the key its rule is found by: the address bits (IPv4 in the low 32 bits
 * of {@code lo}) masked to its prefix length. Two longs, not an {@code InetAddress} and a length, so that a
 * look-up is a few hash probes with no allocation beyond the key.
 */
record AccessNet(boolean v6, long hi, long lo, int length) {

    /** The same address bits, masked to their length: the form rules are stored under. */
    AccessNet masked() {
        if (!v6) {
            long mask = length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
            return new AccessNet(false, 0, lo & mask, length);
        }
        if (length <= 64) {
            return new AccessNet(true, length == 0 ? 0 : hi & (-1L << (64 - length)), 0, length);
        }
        return new AccessNet(true, hi, lo & (-1L << (128 - length)), length);
    }

    /** The network of {@code length} bits that contains this address. */
    AccessNet prefix(int bits) {
        return new AccessNet(v6, hi, lo, bits).masked();
    }

    /** One address, all its bits; an IPv4-mapped IPv6 address is its IPv4 address, as tcpserver compares it. */
    static AccessNet of(InetAddress address) {
        byte[] b = Ipv4Mapped.unwrap(address.getAddress());
        if (b.length == 4) {
            return new AccessNet(false, 0, ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8)
                    | (b[3] & 0xffL), 32);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xffL);
            lo = (lo << 8) | (b[i + 8] & 0xffL);
        }
        return new AccessNet(true, hi, lo, 128);
    }
}
