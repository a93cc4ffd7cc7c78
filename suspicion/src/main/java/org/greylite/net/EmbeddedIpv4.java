package org.greylite.net;

/**
 * The IPv4 address of the host behind an IPv6 address that only carries it, where the address's /64 is not the
 * client's own network but one shared by every host of a kind:
 * <ul>
 * <li>NAT64's well-known prefix {@code 64:ff9b::/96} (RFC 6052): an IPv6-only server behind a stateless translator
 *     (SIIT-DC, RFC 7755) sees every IPv4 client of the Internet in {@code 64:ff9b::/64};</li>
 * <li>Teredo, {@code 2001:0::/32} (RFC 4380): the first 64 bits name the Teredo server, so every client of one server
 *     (Microsoft's served all of Windows) shares a /64; the client's own IPv4 address is the last 32 bits, inverted.</li>
 * </ul>
 * Keyed on that /64, one host passing a triplet let all the others pass it, and earned the auto-whitelist for them.
 * Looked up by it, in a DNS list or a GeoIP database, none was found: the lists and the databases hold the IPv4
 * address. (Here, with the suspicion rules' GeoIP readers, as the lowest module that needs it.)
 */
public final class EmbeddedIpv4 {

    private EmbeddedIpv4() {
    }

    /** The four bytes of the IPv4 address the 16 bytes {@code b} carry, or null when they carry none. */
    public static byte[] of(byte[] b) {
        if (b.length != 16) {
            return null;
        }
        if (startsWith(b, 0x00, 0x64, 0xff, 0x9b) && allZero(b, 4, 12)) {
            return new byte[] {b[12], b[13], b[14], b[15]};
        }
        if (startsWith(b, 0x20, 0x01, 0x00, 0x00)) {
            return new byte[] {(byte) ~b[12], (byte) ~b[13], (byte) ~b[14], (byte) ~b[15]};
        }
        return null;
    }

    private static boolean startsWith(byte[] b, int b0, int b1, int b2, int b3) {
        return b[0] == (byte) b0 && b[1] == (byte) b1 && b[2] == (byte) b2 && b[3] == (byte) b3;
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
