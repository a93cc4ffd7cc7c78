package org.greylite.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IP address as an administrator types it, read without ever asking the DNS: a dotted quad of 0-255 with no
 * leading zeros, or an IPv6 address (hexadecimal digits, colons, and a dotted quad at its end). Nothing else: no
 * brackets, zone, port or surrounding space. {@link InetAddress#getByName} alone would look up any text that is no
 * literal, and takes odd IPv4 forms ({@code 127.1}, {@code 0x7f.1}) no administrator means.
 */
public final class IpLiteral {

    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private IpLiteral() {
    }

    /**
     * The address {@code text} writes, or empty when it is no IPv4 or IPv6 literal. An IPv4-mapped IPv6 address
     * ({@code ::ffff:192.0.2.1}) comes back as the IPv4 address, as {@link InetAddress#getByName} gives it.
     */
    public static Optional<InetAddress> parse(String text) {
        if (!IPV4.matcher(text).matches() && !(text.indexOf(':') >= 0 && IPV6.matcher(text).matches())) {
            return Optional.empty();
        }
        try {
            // Only a literal gets here; with a colon in it, getByName parses an IPv6 literal and never asks the DNS.
            return Optional.of(InetAddress.getByName(text));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
