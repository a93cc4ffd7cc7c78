package org.greylite.daemon;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.greylite.text.ClientText;

/**
 * Reads the PROXY protocol header (HAProxy's specification, version 1 text or version 2 binary, told
 * apart by the first byte) that a load balancer sends first on each connection, one chunk of input at a
 * time, however the chunks are cut. The counterpart of {@link ProxyProtocolHeader}, which writes one.
 *
 * <p>It takes from each chunk only the header's own bytes: whatever follows belongs to the client's SMTP
 * dialogue and stays in the buffer, at its position, for the relay.
 *
 * <p>Strict where the specification is: a v1 line is {@code PROXY TCP4|TCP6|UNKNOWN ...} with single
 * spaces, ends in CRLF and is at most {@link #V1_MAX} bytes; a v2 header starts with the 12-byte signature
 * and says version 2. Lenient where the specification asks it: v1 UNKNOWN, v2 LOCAL (a load balancer's
 * health check) and v2 families other than TCP over IPv4/IPv6 name no client, and the connection's own
 * peer stands for it; v2 TLVs are skipped unread.
 */
final class ProxyHeaderReader {

    /** The longest v1 line, CRLF included (the specification's figure). */
    static final int V1_MAX = 107;
    /** v2: signature, version and command, family, length. */
    static final int V2_FIXED = 16;

    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);

    /**
     * A complete header.
     *
     * @param form        what it was, for the log: {@code v1 TCP4}, {@code v2 LOCAL}...
     * @param source      the client it names, or null when it names none (v1 UNKNOWN, v2 LOCAL, a family
     *                    other than TCP over IPv4 or IPv6)
     * @param destination the address the client connected to (on the load balancer), null with {@code source}
     */
    record Header(String form, InetSocketAddress source, InetSocketAddress destination) {
    }

    /** Input that is not a PROXY protocol header; the message says what is wrong with it. */
    static final class MalformedHeader extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedHeader(String message) {
            super(message);
        }
    }

    private byte[] bytes = new byte[V2_FIXED];
    private int length;
    private int v2Total = -1; // known once v2's fixed part is read

    /** Bytes of the header read so far (0 before the first). */
    int bytesRead() {
        return length;
    }

    /**
     * Takes the header's bytes from {@code in} and returns the header once it is complete, leaving
     * {@code in}'s position just after it; null when {@code in} is used up first (more is needed).
     *
     * @throws MalformedHeader as soon as the input cannot be the start of a valid header
     */
    Header read(ByteBuffer in) throws MalformedHeader {
        while (in.hasRemaining()) {
            Header h = take(in.get());
            if (h != null) {
                return h;
            }
        }
        return null;
    }

    private Header take(byte b) throws MalformedHeader {
        if (length == bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(V1_MAX, Math.min(2 * length, v2Total)));
        }
        bytes[length++] = b;
        return bytes[0] == 'P' ? takeV1(b) : takeV2();
    }

    private Header takeV1(byte b) throws MalformedHeader {
        if (length <= V1_PREFIX.length) {
            if (b != V1_PREFIX[length - 1]) {
                throw new MalformedHeader("does not begin with a PROXY header (v1 'PROXY ' or the v2 signature)");
            }
            return null;
        }
        if (b == '\n') {
            if (bytes[length - 2] != '\r') {
                throw new MalformedHeader("v1 line ends in a bare LF, not CRLF");
            }
            return parseV1(new String(bytes, V1_PREFIX.length, length - 2 - V1_PREFIX.length, StandardCharsets.US_ASCII));
        }
        if (length == V1_MAX) {
            throw new MalformedHeader("v1 line longer than " + V1_MAX + " bytes");
        }
        return null;
    }

    private static Header parseV1(String line) throws MalformedHeader {
        if (line.equals("UNKNOWN") || line.startsWith("UNKNOWN ")) {
            // The specification: the receiver ignores whatever follows UNKNOWN and uses the real connection.
            return new Header("v1 UNKNOWN", null, null);
        }
        String[] f = line.split(" ", -1);
        boolean v4 = f[0].equals("TCP4");
        if (!v4 && !f[0].equals("TCP6")) {
            throw new MalformedHeader("v1 protocol is not TCP4, TCP6 or UNKNOWN: '" + printable(f[0]) + "'");
        }
        if (f.length != 5) {
            throw new MalformedHeader("v1 " + f[0] + " line wants 4 fields after the protocol, one space apart: '"
                    + printable(line) + "'");
        }
        InetAddress src = v4 ? ipv4(f[1]) : ipv6(f[1]);
        InetAddress dst = v4 ? ipv4(f[2]) : ipv6(f[2]);
        return new Header("v1 " + f[0], new InetSocketAddress(src, port(f[3])), new InetSocketAddress(dst, port(f[4])));
    }

    /** A dotted quad, each part 0-255 without leading zeros (which some read as octal). */
    private static InetAddress ipv4(String text) throws MalformedHeader {
        String[] parts = text.split("\\.", -1);
        byte[] a = new byte[4];
        boolean ok = parts.length == 4;
        for (int i = 0; ok && i < 4; i++) {
            ok = parts[i].matches("0|[1-9][0-9]{0,2}") && Integer.parseInt(parts[i]) <= 255;
            a[i] = ok ? (byte) Integer.parseInt(parts[i]) : 0;
        }
        if (!ok) {
            throw new MalformedHeader("v1 TCP4 address is not a dotted quad: '" + printable(text) + "'");
        }
        return byAddress(a);
    }

    private static InetAddress ipv6(String text) throws MalformedHeader {
        // Hex digits, colons and dots only: an IPv6 literal, never a name to look up.
        if (text.indexOf(':') >= 0 && text.matches("[0-9A-Fa-f:.]{2,45}")) {
            try {
                return InetAddress.getByName(text);
            } catch (UnknownHostException e) {
                // falls through to the error below
            }
        }
        throw new MalformedHeader("v1 TCP6 address is not an IPv6 address: '" + printable(text) + "'");
    }

    private static int port(String text) throws MalformedHeader {
        if (!text.matches("0|[1-9][0-9]{0,4}") || Integer.parseInt(text) > 65535) {
            throw new MalformedHeader("v1 port is not a number 0-65535: '" + printable(text) + "'");
        }
        return Integer.parseInt(text);
    }

    private Header takeV2() throws MalformedHeader {
        if (length <= ProxyProtocolHeader.V2_SIGNATURE.length) {
            if (bytes[length - 1] != ProxyProtocolHeader.V2_SIGNATURE[length - 1]) {
                throw new MalformedHeader(length == 1
                        ? "does not begin with a PROXY header (v1 'PROXY ' or the v2 signature)"
                        : "bad v2 signature");
            }
            return null;
        }
        if (length == V2_FIXED) {
            int version = (bytes[12] & 0xf0) >>> 4;
            int command = bytes[12] & 0x0f;
            if (version != 2) {
                throw new MalformedHeader("v2 signature but version " + version);
            }
            if (command > 1) {
                throw new MalformedHeader("v2 command " + command + " is neither LOCAL (0) nor PROXY (1)");
            }
            v2Total = V2_FIXED + (((bytes[14] & 0xff) << 8) | (bytes[15] & 0xff));
        }
        return length >= V2_FIXED && length == v2Total ? parseV2() : null;
    }

    private Header parseV2() throws MalformedHeader {
        if ((bytes[12] & 0x0f) == 0) {
            return new Header("v2 LOCAL", null, null); // the address block, if any, is to be ignored
        }
        int family = bytes[13] & 0xff;
        int addressBytes = v2Total - V2_FIXED;
        switch (family) {
            case 0x11: // TCP over IPv4
                need(addressBytes, 12, "TCP4");
                return new Header("v2 PROXY TCP4", endpoint(16, 4, 24), endpoint(20, 4, 26));
            case 0x21: // TCP over IPv6
                need(addressBytes, 36, "TCP6");
                return new Header("v2 PROXY TCP6", endpoint(16, 16, 48), endpoint(32, 16, 50));
            default:
                // UNSPEC, UDP, UNIX sockets: the specification lets the receiver use the real connection.
                return new Header(String.format("v2 PROXY family 0x%02x", family), null, null);
        }
    }

    private static void need(int have, int want, String what) throws MalformedHeader {
        if (have < want) {
            throw new MalformedHeader("v2 " + what + " header with " + have + " address bytes, " + want + " needed");
        }
    }

    private InetSocketAddress endpoint(int addressAt, int addressLength, int portAt) {
        int port = ((bytes[portAt] & 0xff) << 8) | (bytes[portAt + 1] & 0xff);
        return new InetSocketAddress(byAddress(Arrays.copyOfRange(bytes, addressAt, addressAt + addressLength)), port);
    }

    private static InetAddress byAddress(byte[] a) {
        try {
            return InetAddress.getByAddress(a); // raw bytes: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Text quoted in a log line, shown as any text from outside is (a bad byte was read as U+FFFD). */
    private static String printable(String s) {
        return ClientText.printable(s, 60);
    }
}
