package org.greylite.daemon;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import org.greylite.net.AddressText;
import org.greylite.net.Ipv4Mapped;
import org.greylite.smtp.ProxyV2Signature;

/**
 * The PROXY protocol header (HAProxy's specification, versions 1 and 2) greylited sends first on an
 * upstream connection, so that the SMTP server behind it sees the real client instead of 127.0.0.1
 * (Postfix: {@code smtpd_upstream_proxy_protocol = haproxy}; Exim: {@code hosts_proxy}).
 */
public final class ProxyProtocolHeader {

    /** Which header to send, if any. */
    public enum Version {
        OFF, V1, V2;

        public static Version parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--upstream-proxy-protocol wants off, v1 or v2, not '" + text + "'");
            }
        }
    }

    /** Version 2's fixed signature. */
    static final byte[] V2_SIGNATURE = ProxyV2Signature.bytes();

    private ProxyProtocolHeader() {
    }

    /**
     * The header for a client at {@code client} that connected to greylited at {@code local}; null for OFF.
     * Addresses of different families (an IPv4 client on an IPv6 listener, after unmapping) are sent as
     * {@code UNKNOWN} (v1) or LOCAL (v2): the specification's way of saying "no address".
     */
    public static byte[] of(Version version, InetSocketAddress client, InetSocketAddress local) {
        InetAddress src = Ipv4Mapped.unwrap(client.getAddress());
        InetAddress dst = Ipv4Mapped.unwrap(local.getAddress());
        boolean sameFamily = (src instanceof Inet4Address) == (dst instanceof Inet4Address);
        switch (version) {
            case V1:
                if (!sameFamily) {
                    return "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);
                }
                // RFC 5952 text, as the receiving server logs it; without a scope (fe80::1%eth0), which the
                // specification's address fields have no room for.
                return ("PROXY " + (src instanceof Inet4Address ? "TCP4 " : "TCP6 ") + AddressText.of(src.getAddress())
                        + " " + AddressText.of(dst.getAddress()) + " " + client.getPort() + " " + local.getPort() + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
            case V2:
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.writeBytes(V2_SIGNATURE);
                if (!sameFamily) {
                    b.write(0x20); // version 2, LOCAL
                    b.write(0x00); // UNSPEC
                    b.write(0);
                    b.write(0);
                    return b.toByteArray();
                }
                boolean v4 = src instanceof Inet4Address;
                b.write(0x21);              // version 2, PROXY
                b.write(v4 ? 0x11 : 0x21);  // TCP over IPv4 / IPv6
                int len = v4 ? 12 : 36;
                b.write(len >>> 8);
                b.write(len & 0xff);
                b.writeBytes(src.getAddress());
                b.writeBytes(dst.getAddress());
                b.write(client.getPort() >>> 8);
                b.write(client.getPort() & 0xff);
                b.write(local.getPort() >>> 8);
                b.write(local.getPort() & 0xff);
                return b.toByteArray();
            default:
                return null;
        }
    }
}
