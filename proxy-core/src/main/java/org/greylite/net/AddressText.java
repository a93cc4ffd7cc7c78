package org.greylite.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * An address as people and mail logs write it: the dotted quad for IPv4, RFC 5952's text for IPv6
 * ({@code 2001:db8::1}: lower case, no leading zeros, the longest run of two or more zero groups written
 * {@code ::}, the first of equal runs, a single zero group left as {@code 0}; an IPv4-mapped address as
 * {@code ::ffff:192.0.2.1}, RFC 5952 section 5).
 *
 * <p>Every address greylite shows or keys goes through here. Java's {@link InetAddress#getHostAddress()} writes
 * IPv6 in full ({@code 2001:db8:0:0:0:0:0:1}), which no mail log shows: an administrator copying an address from
 * Postfix's log into greylitectl found nothing, and the greydb's keys and our log lines read differently from
 * every other program's.
 */
public final class AddressText {

    private AddressText() {
    }

    /**
     * The address's text; an IPv6 address with a scope keeps it after a {@code %}, as
     * {@link InetAddress#getHostAddress()} writes it ({@code fe80::1%eth0}).
     */
    public static String of(InetAddress address) {
        String text = of(address.getAddress());
        if (address instanceof Inet6Address) {
            String full = address.getHostAddress();
            int scope = full.indexOf('%');
            if (scope >= 0) {
                return text + full.substring(scope);
            }
        }
        return text;
    }

    /**
     * An address and port as a log line or an error shows where a program listens or who connected:
     * {@code 127.0.0.1:10023}, {@code [::1]:10023}. The brackets are not decoration: {@code ::1:10023} reads as
     * the address {@code ::1:10023} (RFC 5952 section 6), and the port is lost. An unresolved address shows its
     * host as given.
     */
    public static String withPort(InetSocketAddress address) {
        String host = address.getAddress() != null ? of(address.getAddress()) : address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * The text of a 4-byte (IPv4) or 16-byte (IPv6) address.
     *
     * @throws IllegalArgumentException for any other length
     */
    public static String of(byte[] address) {
        if (address.length == 4) {
            return dottedQuad(address, 0);
        }
        if (address.length != 16) {
            throw new IllegalArgumentException("an address has 4 or 16 bytes, not " + address.length);
        }
        if (ipv4Mapped(address)) {
            return "::ffff:" + dottedQuad(address, 12);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (address[2 * i] & 0xff) << 8 | address[2 * i + 1] & 0xff;
        }
        int[] run = longestZeroRun(groups);
        StringBuilder b = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == run[0]) {
                b.append("::");
                i += run[1] - 1;
                continue;
            }
            if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
                b.append(':');
            }
            b.append(Integer.toHexString(groups[i]));
        }
        return b.toString();
    }

    /** {start, length} of the first longest run of at least two zero groups; {-1, 0} when there is none. */
    private static int[] longestZeroRun(int[] groups) {
        int bestStart = -1;
        int bestLength = 1; // a single zero group is never compressed (RFC 5952 4.2.2)
        for (int i = 0; i < groups.length; i++) {
            if (groups[i] != 0) {
                continue;
            }
            int end = i;
            while (end < groups.length && groups[end] == 0) {
                end++;
            }
            if (end - i > bestLength) { // strictly longer: of equal runs the first wins (4.2.3)
                bestStart = i;
                bestLength = end - i;
            }
            i = end;
        }
        return bestStart < 0 ? new int[] {-1, 0} : new int[] {bestStart, bestLength};
    }

    private static boolean ipv4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static String dottedQuad(byte[] a, int from) {
        return (a[from] & 0xff) + "." + (a[from + 1] & 0xff) + "." + (a[from + 2] & 0xff) + "." + (a[from + 3] & 0xff);
    }
}
