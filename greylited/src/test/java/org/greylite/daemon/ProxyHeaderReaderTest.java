package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The PROXY protocol header as a load balancer sends it: both versions, cut anywhere, and what is not one. */
class ProxyHeaderReaderTest {

    private static final byte[] SMTP = "EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII);

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    /** The v2 fixed part: signature, version/command, family, length. */
    private static byte[] v2(int versionCommand, int family, byte[] block) {
        return concat(ProxyProtocolHeader.V2_SIGNATURE,
                new byte[] {(byte) versionCommand, (byte) family, (byte) (block.length >>> 8), (byte) block.length}, block);
    }

    private static byte[] v4Block() {
        return new byte[] {(byte) 192, 0, 2, 10, (byte) 198, 51, 100, 1, (byte) 0x9c, 0x40, 0, 25};
    }

    /** Feeds {@code input} in one piece; the header must be complete, and what follows it left unread. */
    private static ProxyHeaderReader.Header whole(byte[] input, byte[] expectedRest) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(input);
        ProxyHeaderReader.Header h = new ProxyHeaderReader().read(in);
        byte[] rest = new byte[in.remaining()];
        in.get(rest);
        assertArrayEquals(expectedRest, rest, "the bytes after the header are the client's");
        return h;
    }

    private static ProxyHeaderReader.Header whole(byte[] header) throws Exception {
        return whole(concat(header, SMTP), SMTP);
    }

    private static ProxyHeaderReader.MalformedHeader refused(byte[] input) {
        return assertThrows(ProxyHeaderReader.MalformedHeader.class,
                () -> new ProxyHeaderReader().read(ByteBuffer.wrap(input)), new String(input, StandardCharsets.ISO_8859_1));
    }

    // ---------------------------------------------------------------- version 1

    @Test
    void v1Tcp4NamesTheClientAndTheAddressItReached() throws Exception {
        ProxyHeaderReader.Header h = whole(ascii("PROXY TCP4 192.0.2.10 198.51.100.1 40000 25\r\n"));
        assertEquals(new ProxyHeaderReader.Header("v1 TCP4", at("192.0.2.10", 40000), at("198.51.100.1", 25)), h);
    }

    @Test
    void v1Tcp6TakesEveryIpv6Spelling() throws Exception {
        assertEquals(new ProxyHeaderReader.Header("v1 TCP6", at("2001:db8::10", 65535), at("2001:db8::1", 0)),
                whole(ascii("PROXY TCP6 2001:db8::10 2001:DB8:0:0:0:0:0:1 65535 0\r\n")));
        assertEquals(at("192.0.2.10", 1), whole(ascii("PROXY TCP6 ::ffff:192.0.2.10 ::1 1 25\r\n")).source(),
                "an IPv4-mapped client is an IPv4 client");
    }

    @Test
    void v1UnknownNamesNoClientWhateverFollowsIt() throws Exception {
        assertEquals(new ProxyHeaderReader.Header("v1 UNKNOWN", null, null), whole(ascii("PROXY UNKNOWN\r\n")));
        assertNull(whole(ascii("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n")).source());
    }

    @Test
    void v1LineMayBe107BytesAndNoMore() throws Exception {
        String longest = "PROXY UNKNOWN " + "x".repeat(107 - 16) + "\r\n";
        assertEquals(107, longest.length());
        assertEquals("v1 UNKNOWN", whole(ascii(longest)).form());
        String tooLong = "PROXY UNKNOWN " + "x".repeat(107 - 15) + "\r\n";
        assertTrue(refused(ascii(tooLong)).getMessage().contains("longer than 107"));
        // Refused at the 107th byte, without waiting for a line end that may never come.
        assertThrows(ProxyHeaderReader.MalformedHeader.class,
                () -> new ProxyHeaderReader().read(ByteBuffer.wrap(ascii("PROXY " + "y".repeat(101)))));
    }

    @Test
    void v1LinesTheSpecificationDoesNotAllowAreRefused() {
        List<String> bad = List.of(
                "PROXY TCP4 192.0.2.10 198.51.100.1 40000 25\n",      // bare LF
                "PROXY TCP4 192.0.2.10 198.51.100.1 40000\r\n",       // a field missing
                "PROXY TCP4 192.0.2.10 198.51.100.1 40000 25 7\r\n",  // one too many
                "PROXY TCP4  192.0.2.10 198.51.100.1 40000 25\r\n",   // two spaces
                "PROXY TCP4 192.0.2.10 198.51.100.1 40000 25 \r\n",   // trailing space
                "PROXY TCP4 2001:db8::10 2001:db8::1 40000 25\r\n",   // family mismatch
                "PROXY TCP6 192.0.2.10 198.51.100.1 40000 25\r\n",
                "PROXY TCP4 192.0.2.256 198.51.100.1 40000 25\r\n",
                "PROXY TCP4 192.0.2.010 198.51.100.1 40000 25\r\n",   // leading zero: octal to some
                "PROXY TCP4 192.0.2 198.51.100.1 40000 25\r\n",
                "PROXY TCP4 mx.example.org 198.51.100.1 40000 25\r\n", // a name: never looked up
                "PROXY TCP6 2001:db8::10%eth0 2001:db8::1 40000 25\r\n",
                "PROXY TCP6 2001:db8:::10 2001:db8::1 40000 25\r\n",
                "PROXY TCP4 192.0.2.10 198.51.100.1 65536 25\r\n",
                "PROXY TCP4 192.0.2.10 198.51.100.1 040000 25\r\n",
                "PROXY TCP4 192.0.2.10 198.51.100.1 -1 25\r\n",
                "PROXY TCP5 192.0.2.10 198.51.100.1 40000 25\r\n",
                "PROXY tcp4 192.0.2.10 198.51.100.1 40000 25\r\n",
                "PROXY \r\n",
                "PROXY\r\n",
                "proxy TCP4 192.0.2.10 198.51.100.1 40000 25\r\n",
                "PROXYTCP4 192.0.2.10 198.51.100.1 40000 25\r\n");
        for (String line : bad) {
            refused(ascii(line));
        }
    }

    // ---------------------------------------------------------------- version 2

    @Test
    void v2Ipv4() throws Exception {
        assertEquals(new ProxyHeaderReader.Header("v2 PROXY TCP4", at("192.0.2.10", 40000), at("198.51.100.1", 25)),
                whole(v2(0x21, 0x11, v4Block())));
    }

    @Test
    void v2Ipv6() throws Exception {
        byte[] block = new byte[36];
        block[0] = 0x20;
        block[1] = 0x01;
        block[2] = 0x0d;
        block[3] = (byte) 0xb8;
        block[15] = 0x10;
        System.arraycopy(block, 0, block, 16, 16);
        block[31] = 0x01;
        block[32] = (byte) 0xff;
        block[33] = (byte) 0xfe;
        block[35] = 25;
        assertEquals(new ProxyHeaderReader.Header("v2 PROXY TCP6", at("2001:db8::10", 65534), at("2001:db8::1", 25)),
                whole(v2(0x21, 0x21, block)));
    }

    @Test
    void v2LocalIsAHealthCheckThatNamesNoClient() throws Exception {
        assertEquals(new ProxyHeaderReader.Header("v2 LOCAL", null, null), whole(v2(0x20, 0x00, new byte[0])));
        assertNull(whole(v2(0x20, 0x11, v4Block())).source(), "LOCAL: an address block is ignored");
    }

    @Test
    void v2TlvsAreSkippedAndTheHeaderEndsWhereItsLengthSays() throws Exception {
        // PP2_TYPE_ALPN "smtp", PP2_TYPE_AUTHORITY "mx.example.org", a NOOP of 2000 bytes.
        byte[] tlvs = concat(new byte[] {0x01, 0, 4}, ascii("smtp"), new byte[] {0x02, 0, 14}, ascii("mx.example.org"),
                new byte[] {0x04, 2000 >>> 8, (byte) (2000 & 0xff)}, new byte[2000]);
        ProxyHeaderReader.Header h = whole(v2(0x21, 0x11, concat(v4Block(), tlvs)));
        assertEquals(at("192.0.2.10", 40000), h.source());
    }

    @Test
    void v2FamiliesOtherThanTcpNameNoClient() throws Exception {
        assertEquals("v2 PROXY family 0x00", whole(v2(0x21, 0x00, new byte[0])).form());
        assertNull(whole(v2(0x21, 0x12, v4Block())).source(), "UDP over IPv4");
        assertNull(whole(v2(0x21, 0x31, new byte[216])).source(), "a UNIX socket");
    }

    @Test
    void v2HeadersTheSpecificationDoesNotAllowAreRefused() {
        byte[] good = v2(0x21, 0x11, v4Block());
        for (int i = 0; i < 12; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x40;
            refused(bad);
        }
        assertTrue(refused(v2(0x11, 0x11, v4Block())).getMessage().contains("version 1"));
        assertTrue(refused(v2(0x22, 0x11, v4Block())).getMessage().contains("command 2"));
        assertTrue(refused(v2(0x21, 0x11, new byte[8])).getMessage().contains("8 address bytes"));
        assertTrue(refused(v2(0x21, 0x21, new byte[12])).getMessage().contains("36 needed"));
    }

    // ---------------------------------------------------------------- anything else

    @Test
    void anythingElseIsRefusedAtItsFirstByte() {
        for (String start : List.of("E", "H", "Q", "\n", " ", "\0", "G")) {
            assertTrue(refused(ascii(start)).getMessage().contains("does not begin with a PROXY header"), start);
        }
        refused(ascii("EHLO client.example\r\n"));
        refused(new byte[] {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 'Q', 'U', 'I', 'T', ' '});
    }

    @Test
    void aCompleteHeaderIsNotReadPast() throws Exception {
        ProxyHeaderReader r = new ProxyHeaderReader();
        ByteBuffer in = ByteBuffer.wrap(concat(ascii("PROXY UNKNOWN\r\n"), ascii("PROXY TCP4 garbage\r\n")));
        assertEquals("v1 UNKNOWN", r.read(in).form());
        assertEquals("PROXY TCP4 garbage\r\n", StandardCharsets.US_ASCII.decode(in).toString(),
                "a second PROXY line is the client's, for the relay to refuse");
    }

    /** Every header above, and what the sender writes, cut in two at every byte, and fed a byte at a time. */
    @Test
    void everyCutGivesTheSameHeaderAndTheSameRest() throws Exception {
        List<byte[]> headers = List.of(
                ascii("PROXY TCP4 192.0.2.10 198.51.100.1 40000 25\r\n"),
                ascii("PROXY TCP6 2001:db8::10 2001:db8::1 40000 25\r\n"),
                ascii("PROXY UNKNOWN\r\n"),
                v2(0x21, 0x11, v4Block()),
                v2(0x20, 0x00, new byte[0]),
                v2(0x21, 0x11, concat(v4Block(), new byte[] {0x04, 0, 3, 1, 2, 3})),
                ProxyProtocolHeader.of(ProxyProtocolHeader.Version.V1, at("192.0.2.10", 40000), at("198.51.100.1", 25)),
                ProxyProtocolHeader.of(ProxyProtocolHeader.Version.V2, at("2001:db8::10", 40000), at("2001:db8::1", 25)));
        for (byte[] header : headers) {
            byte[] input = concat(header, SMTP);
            ProxyHeaderReader.Header expected = whole(input, SMTP);
            for (int cut = 0; cut <= input.length; cut++) {
                ProxyHeaderReader r = new ProxyHeaderReader();
                ByteBuffer first = ByteBuffer.wrap(input, 0, cut);
                ByteBuffer second = ByteBuffer.wrap(input, cut, input.length - cut);
                ProxyHeaderReader.Header h = r.read(first);
                if (cut < header.length) {
                    assertNull(h, "incomplete at " + cut);
                    h = r.read(second);
                }
                assertEquals(expected, h, "cut at " + cut);
                ByteArrayOutputStream client = new ByteArrayOutputStream();
                client.write(first.array(), first.position(), first.remaining());
                client.write(second.array(), second.position(), second.remaining());
                assertArrayEquals(SMTP, client.toByteArray(), "cut at " + cut + ": the client's bytes, all and only");
            }
            ProxyHeaderReader r = new ProxyHeaderReader();
            ProxyHeaderReader.Header h = null;
            for (int i = 0; i < header.length; i++) {
                assertNull(h, "complete before its last byte");
                h = r.read(ByteBuffer.wrap(header, i, 1));
            }
            assertEquals(expected, h);
        }
    }

    @Test
    void theSendersHeadersReadBackAsTheirClient() throws Exception {
        for (ProxyProtocolHeader.Version v : List.of(ProxyProtocolHeader.Version.V1, ProxyProtocolHeader.Version.V2)) {
            for (String client : List.of("192.0.2.10", "2001:db8::10")) {
                String local = client.contains(":") ? "2001:db8::1" : "198.51.100.1";
                ProxyHeaderReader.Header h = whole(ProxyProtocolHeader.of(v, at(client, 40000), at(local, 25)));
                assertEquals(at(client, 40000), h.source(), v + " " + client);
                assertEquals(at(local, 25), h.destination(), v + " " + client);
            }
        }
    }
}
