package org.greylite.ucspi;

import java.net.InetAddress;
import java.util.Optional;

import org.greylite.net.DnsListName;
import org.greylite.net.IpLiteral;

/**
 * Strict parsing of IP address literals ({@link IpLiteral}: never a DNS lookup, no odd IPv4 forms such as
 * {@code 127.1} that tcpserver never produces), as tcpserver and {@code DNSCACHEIP} write them, and their DNSBL
 * query form.
 */
final class IpLiterals {

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
        int zone = s.indexOf('%');
        if (zone < 0) {
            return IpLiteral.parse(s);
        }
        // Only an IPv6 address has a zone.
        String address = s.substring(0, zone);
        return address.indexOf(':') >= 0 ? IpLiteral.parse(address) : Optional.empty();
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
