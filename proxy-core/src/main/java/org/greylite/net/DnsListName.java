package org.greylite.net;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The name a client is looked up by in a DNS list (a DNSBL, a DNS whitelist), without the zone (RFC 5782): an IPv4
 * address's octets in reverse order ({@code 192.0.2.1}: {@code 1.2.0.192}), an IPv6 address's 32 nibbles in reverse
 * order, lower case.
 *
 * <p>An IPv6 address that only carries an IPv4 one ({@link EmbeddedIpv4}: NAT64's {@code 64:ff9b::/96}, Teredo) is
 * looked up by that IPv4 address, as an IPv4-mapped one is: the client is that IPv4 host, and that is what the lists
 * hold. By its nibbles, which no list holds, an IPv6-only server behind a NAT64 translator found none of its clients
 * listed, and none whitelisted.
 */
public final class DnsListName {

    private DnsListName() {
    }

    /** The reversed form of {@code address}, to which {@code .ZONE} is added for the query. */
    public static String of(InetAddress address) {
        byte[] bytes = address.getAddress();
        byte[] carried = address instanceof Inet4Address ? null : EmbeddedIpv4.of(bytes);
        if (carried != null) {
            bytes = carried;
        }
        StringBuilder name = new StringBuilder(64);
        if (bytes.length == 4) {
            for (int i = 3; i >= 0; i--) {
                name.append(bytes[i] & 0xff);
                if (i > 0) {
                    name.append('.');
                }
            }
            return name.toString();
        }
        for (int i = bytes.length - 1; i >= 0; i--) {
            name.append(Character.forDigit(bytes[i] & 0x0f, 16)).append('.');
            name.append(Character.forDigit((bytes[i] >> 4) & 0x0f, 16));
            if (i > 0) {
                name.append('.');
            }
        }
        return name.toString();
    }
}
