package org.greylite.suspicion.geoip;

import org.greylite.net.EmbeddedIpv4;

/**
 * Parses textual IP addresses into bytes without ever consulting DNS
 * ({@link java.net.InetAddress#getByName} would resolve anything that is not a literal).
 */
final class IpAddresses {

    private IpAddresses() {
    }

    /**
     * The address's bytes: 4 for IPv4, 16 for IPv6, or {@code null} when the text is not an IP address.
     * Accepts IPv6 in brackets, with a zone ({@code %eth0}, ignored) and with a trailing dotted quad.
     */
    static byte[] parse(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        String s = text;
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        int zone = s.indexOf('%');
        if (zone >= 0) {
            s = s.substring(0, zone);
        }
        if (s.indexOf(':') < 0) {
            return parseIpv4(s, 0, s.length());
        }
        return parseIpv6(s);
    }

    /**
     * For a 16-byte IPv4-mapped address ({@code ::ffff:a.b.c.d}), the 4 IPv4 bytes; likewise for one that only carries
     * an IPv4 address ({@link EmbeddedIpv4}: NAT64's {@code 64:ff9b::/96}, Teredo), which no database places by its
     * IPv6 form: behind a NAT64 translator, every client's g lines were unevaluable. Otherwise the input.
     */
    static byte[] unmapIpv4(byte[] address) {
        if (address.length != 16) {
            return address;
        }
        byte[] carried = EmbeddedIpv4.of(address);
        if (carried != null) {
            return carried;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return address;
            }
        }
        if (address[10] != (byte) 0xff || address[11] != (byte) 0xff) {
            return address;
        }
        return new byte[] {address[12], address[13], address[14], address[15]};
    }

    private static byte[] parseIpv4(String s, int from, int to) {
        byte[] out = new byte[4];
        int part = 0;
        int i = from;
        while (part < 4) {
            int start = i;
            int value = 0;
            while (i < to && i - start < 3 && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                value = value * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == start || value > 255) {
                return null;
            }
            out[part++] = (byte) value;
            if (part < 4) {
                if (i >= to || s.charAt(i) != '.') {
                    return null;
                }
                i++;
            }
        }
        return i == to ? out : null;
    }

    private static byte[] parseIpv6(String s) {
        byte[] out = new byte[16];
        int doubleColon = -1; // index in out where "::" stands
        int o = 0;
        int i = 0;
        int n = s.length();
        if (s.startsWith("::")) {
            doubleColon = 0;
            i = 2;
            if (n == 2) {
                return out;
            }
        } else if (s.startsWith(":")) {
            return null;
        }
        while (i < n) {
            if (o >= 16) {
                return null;
            }
            int start = i;
            int value = 0;
            while (i < n && i - start < 4 && Character.digit(s.charAt(i), 16) >= 0) {
                value = (value << 4) | Character.digit(s.charAt(i), 16);
                i++;
            }
            if (i < n && s.charAt(i) == '.') {
                // trailing dotted quad: it must fill the last four bytes written
                if (o > 12) {
                    return null;
                }
                byte[] v4 = parseIpv4(s, start, n);
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, o, 4);
                o += 4;
                i = n;
                break;
            }
            if (i == start) {
                return null;
            }
            out[o++] = (byte) (value >> 8);
            out[o++] = (byte) value;
            if (i == n) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < n && s.charAt(i) == ':') {
                if (doubleColon >= 0) {
                    return null;
                }
                doubleColon = o;
                i++;
                if (i == n) {
                    break;
                }
            } else if (i == n) {
                return null; // trailing single colon
            }
        }
        if (doubleColon >= 0) {
            if (o == 16) {
                return null; // "::" must stand for at least one group
            }
            int tail = o - doubleColon;
            System.arraycopy(out, doubleColon, out, 16 - tail, tail);
            java.util.Arrays.fill(out, doubleColon, 16 - tail, (byte) 0);
        } else if (o != 16) {
            return null;
        }
        return out;
    }
}
