package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class ProxyProtocolHeaderTest {

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void version1NamesBothEndsInText() {
        assertEquals("PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n", new String(ProxyProtocolHeader.of(
                ProxyProtocolHeader.Version.V1, at("192.0.2.7", 40000), at("198.51.100.1", 25)), StandardCharsets.US_ASCII));
        assertEquals("PROXY TCP6 2001:db8::7 2001:db8::1 40000 25\r\n", new String(ProxyProtocolHeader.of(
                ProxyProtocolHeader.Version.V1, at("2001:db8::7", 40000), at("2001:db8::1", 25)), StandardCharsets.US_ASCII));
        assertEquals("PROXY UNKNOWN\r\n", new String(ProxyProtocolHeader.of(
                ProxyProtocolHeader.Version.V1, at("192.0.2.7", 40000), at("2001:db8::1", 25)), StandardCharsets.US_ASCII));
    }

    @Test
    void version2IsTheBinaryLayout() {
        byte[] v6 = ProxyProtocolHeader.of(ProxyProtocolHeader.Version.V2, at("2001:db8::7", 0x1234), at("2001:db8::1", 25));
        assertEquals(16 + 36, v6.length);
        assertArrayEquals(new byte[] {0x21, 0x21, 0, 36}, Arrays.copyOfRange(v6, 12, 16));
        assertArrayEquals(new byte[] {0x12, 0x34, 0, 25}, Arrays.copyOfRange(v6, 48, 52));
        byte[] mixed = ProxyProtocolHeader.of(ProxyProtocolHeader.Version.V2, at("192.0.2.7", 1), at("2001:db8::1", 25));
        assertArrayEquals(new byte[] {0x20, 0x00, 0, 0}, Arrays.copyOfRange(mixed, 12, 16), "LOCAL: no address");
        byte[] mapped = ProxyProtocolHeader.of(ProxyProtocolHeader.Version.V2, at("::ffff:192.0.2.7", 1), at("192.0.2.1", 25));
        assertEquals(0x11, mapped[13], "an IPv4-mapped client counts as IPv4");
    }

    @Test
    void offSendsNothingAndBadNamesAreRefused() {
        assertNull(ProxyProtocolHeader.of(ProxyProtocolHeader.Version.OFF, at("192.0.2.7", 1), at("192.0.2.1", 25)));
        assertEquals(ProxyProtocolHeader.Version.V2, ProxyProtocolHeader.Version.parse("v2"));
        assertThrows(IllegalArgumentException.class, () -> ProxyProtocolHeader.Version.parse("v3"));
    }
}
