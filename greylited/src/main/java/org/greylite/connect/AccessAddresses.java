package org.greylite.connect;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The address field of an access file line ({@link AccessRules}): tcprules' IPv4 forms ({@code 1.2.3.4},
 * {@code 1.2.3.}, one range {@code 1.2.3.37-53}), the empty field for every client, the IPv6 tcpserver's IPv6
 * address and prefix ({@code 2001:db8:1:}), and beyond tcprules CIDR for either family. Apart from the rest of the line because it is the part with
 * grammar of its own; the instructions after the colon are a list of variables.
 */
final class AccessAddresses {

    private static final Pattern OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");
    private static final Pattern IPV6_TEXT = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private AccessAddresses() {
    }

    /**
     * The networks an address field stands for.
     *
     * @throws RejectedLine for a field that is no address, or one greylited cannot use (host names, idents)
     */
    static List<AccessNet> parse(String address) throws RejectedLine {
        if (address.isEmpty()) {
            return List.of(new AccessNet(false, 0, 0, 0), new AccessNet(true, 0, 0, 0));
        }
        if (address.startsWith("=")) {
            throw new RejectedLine("host-name rules ('" + address + "') are not supported: access is decided before the"
                    + " PTR name is known", false);
        }
        if (address.indexOf('@') >= 0) {
            throw new RejectedLine("ident rules ('" + address + "') are not supported", false);
        }
        if (address.endsWith(":")) {
            return List.of(ipv6Groups(address));
        }
        int slash = address.indexOf('/');
        if (address.indexOf(':') >= 0 || slash >= 0) {
            return List.of(cidr(address, slash));
        }
        return dotted(address);
    }

    /**
     * The IPv6 tcpserver's text prefix, lower case, for a field with {@code ::} in it that ends with a colon
     * ({@code 2001:db8::}, {@code 2001:db8::1:}, {@code ::}); null for any other field. Debian's ucspi-tcp-ipv6
     * compiles such a line ({@code 2001:db8:::allow}) to that text, and tcpserver takes it, as every key ending with a
     * colon, for the beginning of a client's address text: after the client's own address it tries each beginning of
     * its text that ends with a colon, longest first, so {@code 2001:db8::} covers {@code 2001:db8::5} and {@code
     * 2001:db8::1:2} but not {@code 2001:db8:1::5} (tcprulescheck shows it). No network is written so: the groups
     * that {@code ::} stands for depend on the rest of the client's address. Read as the address it also is, the line
     * covered the one client {@code 2001:db8::}.
     *
     * @throws RejectedLine for such a field that no address text can begin with
     */
    static String textPrefix(String address) throws RejectedLine {
        if (!address.endsWith(":") || !address.contains("::")) {
            return null;
        }
        if (!address.matches("[0-9A-Fa-f:]+") || address.contains(":::") || address.indexOf("::") != address.lastIndexOf("::")
                || literal(address.substring(0, address.length() - 1) + (address.endsWith("::") ? ":" : ":0")) == null) {
            throw new RejectedLine("'" + address + "' is no beginning of an IPv6 address's text (tcpserver's prefix"
                    + " ending with a colon, e.g. '2001:db8::')");
        }
        return address.toLowerCase(java.util.Locale.ROOT);
    }

    /** tcprules' IPv4 forms: {@code 1.2.3.4}, {@code 1.2.3.}, with at most one range {@code A-B} in a component. */
    private static List<AccessNet> dotted(String address) throws RejectedLine {
        boolean prefix = address.endsWith(".");
        String[] parts = (prefix ? address.substring(0, address.length() - 1) : address).split("\\.", -1);
        if (prefix ? parts.length > 3 : parts.length != 4) {
            throw new RejectedLine(prefix
                    ? "'" + address + "' has four components and a final dot: it would never match"
                    : "'" + address + "' is neither an IPv4 address nor a prefix ending with a dot (e.g. '1.2.3.')");
        }
        int rangeAt = -1;
        int bottom = 0;
        int top = 0;
        long fixed = 0;
        for (int p = 0; p < parts.length; p++) {
            String part = parts[p];
            int dash = part.indexOf('-');
            if (dash >= 0) {
                if (rangeAt >= 0) {
                    throw new RejectedLine("'" + address + "' has more than one range");
                }
                rangeAt = p;
                bottom = octet(part.substring(0, dash), address);
                top = octet(part.substring(dash + 1), address);
                if (bottom > top) {
                    throw new RejectedLine("the range " + part + " in '" + address + "' is empty");
                }
            } else {
                fixed |= (long) octet(part, address) << (24 - 8 * p);
            }
        }
        int length = 8 * parts.length;
        if (rangeAt < 0) {
            return List.of(new AccessNet(false, 0, fixed, length));
        }
        List<AccessNet> nets = new ArrayList<>(top - bottom + 1);
        for (int v = bottom; v <= top; v++) {
            nets.add(new AccessNet(false, 0, fixed | (long) v << (24 - 8 * rangeAt), length));
        }
        return nets;
    }

    private static int octet(String text, String address) throws RejectedLine {
        if (!OCTET.matcher(text).matches() || Integer.parseInt(text) > 255) {
            throw new RejectedLine("'" + text + "' in '" + address + "' is not a number from 0 to 255 (without leading zeros)");
        }
        return Integer.parseInt(text);
    }

    /**
     * The IPv6 tcpserver's prefix ({@code 2001:db8:1:}, Debian's ucspi-tcp-ipv6): its groups, then a colon, cover
     * every address that begins with them, 16 bits a group ({@code 2001:db8:1::/48}). That tcpserver compares the
     * text of the client's address, so it misses one whose {@code ::} falls inside the prefix ({@code 2001:db8:0:}
     * and {@code 2001:db8::5}) or a prefix written with leading zeros; the network is what the line means, and
     * what is taken here. A prefix with {@code ::} in it names no whole groups: it is a text prefix ({@link #textPrefix}).
     */
    private static AccessNet ipv6Groups(String address) throws RejectedLine {
        String[] groups = address.substring(0, address.length() - 1).split(":", -1);
        if (groups.length > 7 || !address.matches("([0-9A-Fa-f]{1,4}:)+")) {
            throw new RejectedLine("'" + address + "' is neither an IP address nor an IPv6 prefix of one to seven whole"
                    + " groups ending with ':' (e.g. '2001:db8:1:', tcpserver's form, or '2001:db8:1::/48')");
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < groups.length; i++) {
            long group = Long.parseLong(groups[i], 16);
            if (i < 4) {
                hi |= group << (48 - 16 * i);
            } else {
                lo |= group << (48 - 16 * (i - 4));
            }
        }
        return new AccessNet(true, hi, lo, 16 * groups.length);
    }

    /** The extension: an IPv6 address, or CIDR ({@code ADDRESS/LENGTH}) for either family. */
    private static AccessNet cidr(String text, int slash) throws RejectedLine {
        String addressText = slash >= 0 ? text.substring(0, slash) : text;
        InetAddress address = literal(addressText);
        if (address == null) {
            throw new RejectedLine("'" + addressText + "' is not an IP address");
        }
        boolean mapped = address instanceof Inet4Address && addressText.indexOf(':') >= 0;
        int max = address instanceof Inet4Address ? 32 : 128;
        int length = max;
        if (slash >= 0) {
            String n = text.substring(slash + 1);
            if (!n.matches("[0-9]{1,3}")) {
                throw new RejectedLine("bad prefix length in '" + text + "'");
            }
            length = Integer.parseInt(n) - (mapped ? 96 : 0);
            if (length < 0 || length > max) {
                throw new RejectedLine("prefix length out of range in '" + text + "'");
            }
        }
        return AccessNet.of(address).prefix(length);
    }

    /** An IP literal, never a DNS lookup: text that is not a literal gives null. */
    private static InetAddress literal(String text) {
        boolean v4 = text.indexOf(':') < 0;
        if (v4) {
            String[] parts = text.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            for (String part : parts) {
                if (!OCTET.matcher(part).matches() || Integer.parseInt(part) > 255) {
                    return null;
                }
            }
        } else if (!IPV6_TEXT.matcher(text).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
