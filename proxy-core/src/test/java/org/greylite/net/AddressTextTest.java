package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.Inet6Address;
import java.net.InetAddress;

import org.junit.jupiter.api.Test;

/** RFC 5952's text for IPv6, its own examples first; the dotted quad for IPv4. */
class AddressTextTest {

    private static String text(String literal) throws Exception {
        return AddressText.of(InetAddress.getByName(literal));
    }

    @Test
    void theLongestRunOfZeroGroupsIsCompressed() throws Exception {
        assertEquals("2001:db8::1", text("2001:db8:0:0:0:0:0:1"));
        assertEquals("2001:db8::1", text("2001:0db8:0000:0000:0000:0000:0000:0001"), "leading zeros go (4.1)");
        assertEquals("2001:db8::2:1", text("2001:db8:0:0:0:0:2:1"), "as far as it goes (4.2.1)");
        assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"), "of equal runs the first (4.2.3)");
        assertEquals("2001:0:0:1::1", text("2001:0:0:1:0:0:0:1"), "the longest, not the first (4.2.3)");
        assertEquals("2001:db8::", text("2001:db8:0:0:0:0:0:0"), "a run at the end");
    }

    @Test
    void aSingleZeroGroupIsNotCompressed() throws Exception {
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"));
        assertEquals("2001:db8::1:1:1:1", text("2001:db8:0:0:1:1:1:1"), "two are");
        assertEquals("1:2:3:4:5:6:7:8", text("1:2:3:4:5:6:7:8"), "nothing to compress");
    }

    @Test
    void theShortAddresses() throws Exception {
        assertEquals("::1", text("0:0:0:0:0:0:0:1"));
        assertEquals("::", text("0:0:0:0:0:0:0:0"));
        assertEquals("fe80::1", text("fe80:0:0:0:0:0:0:1"));
        assertEquals("1::", text("1:0:0:0:0:0:0:0"));
    }

    @Test
    void upperCaseIsLowered() throws Exception {
        assertEquals("2001:db8::abcd:ef01", text("2001:DB8:0:0:0:0:ABCD:EF01"), "4.3");
    }

    @Test
    void ipv4IsTheDottedQuad() throws Exception {
        assertEquals("192.0.2.7", text("192.0.2.7"));
        assertEquals("0.0.0.0", text("0.0.0.0"));
        assertEquals("255.255.255.255", text("255.255.255.255"));
    }

    @Test
    void anIpv4MappedAddressShowsItsIpv4Address() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 192;
        mapped[14] = 2;
        mapped[15] = 1;
        assertEquals("::ffff:192.0.2.1", AddressText.of(mapped), "RFC 5952 section 5");
        assertEquals("::ffff:192.0.2.1", AddressText.of(Inet6Address.getByAddress(null, mapped, -1)));
        assertEquals("192.0.2.1", AddressText.of(InetAddress.getByAddress(mapped)), "as Java makes it an IPv4 address");
        assertEquals("::fffe:c000:201", text("::fffe:192.0.2.1"), "only ::ffff: is a mapped address");
    }

    @Test
    void aScopeIsKept() throws Exception {
        byte[] linkLocal = InetAddress.getByName("fe80::1").getAddress();
        assertEquals("fe80::1%3", AddressText.of(Inet6Address.getByAddress(null, linkLocal, 3)));
        assertEquals("fe80::1", AddressText.of(linkLocal), "the bytes have none");
    }

    @Test
    void withAPortAnIpv6AddressIsInBrackets() throws Exception {
        assertEquals("[::1]:10023", AddressText.withPort(new java.net.InetSocketAddress(InetAddress.getByName("::1"), 10023)));
        assertEquals("[2001:db8::1]:1999", AddressText.withPort(
                new java.net.InetSocketAddress(InetAddress.getByName("2001:db8:0:0:0:0:0:1"), 1999)));
        assertEquals("192.0.2.1:25", AddressText.withPort(new java.net.InetSocketAddress(InetAddress.getByName("192.0.2.1"), 25)));
        assertEquals("mx.example.invalid:25", AddressText.withPort(
                java.net.InetSocketAddress.createUnresolved("mx.example.invalid", 25)));
    }

    @Test
    void onlyAddressLengthsAreTaken() {
        assertThrows(IllegalArgumentException.class, () -> AddressText.of(new byte[5]));
    }
}
