package org.greylite.ucspi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

import org.greylite.net.DnsListName;

/**
 * Strict parsing of IP address literals, and their DNSBL query form.
 *
 * <p>{@link InetAddress#getByName} is not used on raw text: for anything that is not a literal it
 * would start a DNS lookup, and it accepts odd IPv4 forms ({@code 127.1}) that tcpserver never
 * produces and an administrator never means.
 */
final class IpLiterals {

    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private IpLiterals() {
    }

    /**
     * The address written in {@code text}, or empty when it is not an IPv4 or IPv6 literal. An IPv6
     * zone ({@code fe80::1%eth0}) is dropped. IPv4-mapped IPv6 addresses ({@code ::ffff:192.0.2.1},
     * what a dual-stack tcpserver reports for IPv4 clients) come back as IPv4 addresses.
     */
    static Optional<InetAddress> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.trim();
        if (IPV4.matcher(s).matches()) {
            return literal(s);
        }
        int zone = s.indexOf('%');
        if (zone >= 0) {
            s = s.substring(0, zone);
        }
        if (s.indexOf(':') >= 0 && IPV6.matcher(s).matches()) {
            // With a colon in it, getByName parses an IPv6 literal and never asks the DNS.
            return literal(s);
        }
        return Optional.empty();
    }

    private static Optional<InetAddress> literal(String s) {
        try {
            return Optional.of(InetAddress.getByName(s));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /**
     * The DNSBL form of an address, without the zone: {@code 192.0.2.1} gives {@code 1.2.0.192}, an
     * IPv6 address gives its 32 nibbles in reverse order, lower case (RFC 5782), and one that only carries an IPv4
     * address (NAT64, Teredo) that IPv4 address's form ({@link DnsListName}).
     */
    static String reversed(InetAddress address) {
        return DnsListName.of(address);
    }
}
