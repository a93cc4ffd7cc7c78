package org.greylite.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An address block, {@code 192.0.2.0/24} or {@code 2001:db8::/32}; a bare address is a block of one. An
 * IPv4-mapped address or block ({@code ::ffff:192.0.2.0/120}) is the IPv4 one it maps ({@code 192.0.2.0/24}).
 * Parsing never does DNS: text that is not an IP literal is refused.
 */
public final class Cidr implements Comparable<Cidr> {

    // Compiled once: greydaemon parses the client address of every request through here.
    private static final Pattern IPV6_CHARACTERS = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    private final byte[] network;
    private final int prefix;

    private Cidr(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /**
     * Reads {@code 192.0.2.0/24}, {@code 2001:db8::/32}, an address alone, and an IPv6 one in brackets as Postfix's
     * {@code mynetworks} writes it ({@code [2001:db8::]/32}, {@code [::1]}): an administrator copying a block from
     * main.cf into {@code --accept-proxy-protocol} had it refused.
     *
     * @throws IllegalArgumentException with a message naming the text
     */
    public static Cidr parse(String text) {
        String t = text.trim();
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || !(close == t.length() - 1 || t.charAt(close + 1) == '/')) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR block (e.g. 192.0.2.0/24,"
                        + " 2001:db8::/32, [2001:db8::]/32)");
            }
            t = t.substring(1, close) + t.substring(close + 1);
        }
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        byte[] bytes = literal(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR block (e.g. 192.0.2.0/24, 2001:db8::/32)");
        }
        int max = bytes.length * 8;
        // An IPv4-mapped block (::ffff:192.0.2.0/120, a dual-stack socket's view of IPv4 clients) is the IPv4 block it
        // maps: its prefix counts the 128 bits of the IPv6 text, of which the first 96 are the mapping's.
        int mappedBits = bytes.length == 4 && addr.indexOf(':') >= 0 ? 96 : 0;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(t.substring(slash + 1)) - mappedBits;
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "' (" + mappedBits + "-"
                        + (max + mappedBits) + (mappedBits > 0 ? ", an IPv4-mapped block" : "") + ")");
            }
        }
        return new Cidr(mask(bytes, prefix), prefix);
    }

    /**
     * An address ({@code 2001:DB8:0:0:0:0:0:1}, {@code fe80:0:0:0:0:0:0:1%eth0}) or block
     * ({@code 2001:db8:0:1:0:0:0:0/64}) in the text {@link #toString()} gives it; other text (a domain) as it is.
     * For text written by an older version, or by hand, that is to be compared with what this version writes.
     */
    public static String canonical(String text) {
        int zone = text.indexOf('%');
        try {
            return zone < 0 ? parse(text).toString() : parse(text.substring(0, zone)) + text.substring(zone);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }

    public static Cidr of(InetAddress address) {
        byte[] b = Ipv4Mapped.unwrap(address.getAddress());
        return new Cidr(b, b.length * 8);
    }

    public boolean contains(InetAddress address) {
        byte[] a = Ipv4Mapped.unwrap(address.getAddress());
        return a.length == network.length && Arrays.equals(mask(a, prefix), network);
    }

    public int prefix() {
        return prefix;
    }

    /** The block's first address (its network address). */
    public InetAddress firstAddress() {
        try {
            return InetAddress.getByAddress(network);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The block of {@code prefix} bits around this one's first address (a wider or equal block). */
    public Cidr widenTo(int bits) {
        int p = Math.min(bits, prefix);
        return new Cidr(mask(network, p), p);
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    /** Canonical text ({@link AddressText}): the address alone for a single host, else network/prefix. */
    @Override
    public String toString() {
        String a = AddressText.of(network);
        return prefix == network.length * 8 ? a : a + "/" + prefix;
    }

    /**
     * The order an administrator reads addresses in: IPv4 before IPv6, then by address as a number (10.0.0.9
     * before 10.0.0.10, which their text puts the other way round), then the wider block before the narrower one
     * at the same address (10.0.0.0/8, 10.0.0.0/24, 10.0.0.0).
     */
    @Override
    public int compareTo(Cidr other) {
        if (network.length != other.network.length) {
            return network.length - other.network.length;
        }
        int byAddress = Arrays.compareUnsigned(network, other.network);
        return byAddress != 0 ? byAddress : Integer.compare(prefix, other.prefix);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr && ((Cidr) o).prefix == prefix && Arrays.equals(((Cidr) o).network, network);
    }

    @Override
    public int hashCode() {
        return Objects.hash(prefix, Arrays.hashCode(network));
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int bit = prefix; bit < out.length * 8; bit++) {
            out[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return out;
    }

    /** The bytes of an IPv4 or IPv6 literal, or null; never a DNS lookup. */
    private static byte[] literal(String s) {
        if (s.isEmpty()) {
            return null;
        }
        if (s.indexOf(':') >= 0) {
            if (!IPV6_CHARACTERS.matcher(s).matches()) {
                return null;
            }
        } else if (!DOTTED_QUAD.matcher(s).matches()) {
            return null;
        } else {
            for (String part : s.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return null;
                }
            }
        }
        try {
            return Ipv4Mapped.unwrap(InetAddress.getByName(s).getAddress()); // a literal: no lookup happens
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
