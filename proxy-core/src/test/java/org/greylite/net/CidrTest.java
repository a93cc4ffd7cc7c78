package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

class CidrTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void blocksContainTheirAddressesOnly() throws Exception {
        Cidr c = Cidr.parse("192.0.2.77/24");
        assertEquals("192.0.2.0/24", c.toString(), "canonical form is the network");
        assertTrue(c.contains(ip("192.0.2.1")));
        assertTrue(c.contains(ip("192.0.2.255")));
        assertFalse(c.contains(ip("192.0.3.1")));
        assertFalse(c.contains(ip("2001:db8::1")));
        assertTrue(Cidr.parse("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assertFalse(Cidr.parse("2001:db8::/32").contains(ip("2001:db9::1")));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(ip("203.0.113.9")));
    }

    @Test
    void aBareAddressIsABlockOfOne() throws Exception {
        Cidr c = Cidr.parse("198.51.100.25");
        assertEquals(32, c.prefix());
        assertEquals("198.51.100.25", c.toString());
        assertTrue(c.contains(ip("198.51.100.25")));
        assertFalse(c.contains(ip("198.51.100.26")));
    }

    @Test
    void ipv4MappedIpv6CountsAsIpv4() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 192;
        mapped[14] = 2;
        mapped[15] = 9;
        assertTrue(Cidr.parse("192.0.2.0/24").contains(InetAddress.getByAddress(mapped)));
    }

    @Test
    void widening() {
        assertEquals("192.0.2.0/24", Cidr.parse("192.0.2.7").widenTo(24).toString());
        assertEquals("2001:db8:0:1::/64", Cidr.parse("2001:db8:0:1::5").widenTo(64).toString());
        assertEquals("10.0.0.0/8", Cidr.parse("10.0.0.0/8").widenTo(24).toString(), "never narrower");
    }

    @Test
    void canonicalTextOfTextWrittenAnotherWay() {
        assertEquals("2001:db8::/32", Cidr.parse("2001:DB8:0:0:0:0:0:0/32").toString());
        assertEquals("2001:db8::1", Cidr.canonical("2001:db8:0:0:0:0:0:1"), "Java's full text, as older versions wrote keys");
        assertEquals("2001:db8:0:1::/64", Cidr.canonical("2001:db8:0:1:0:0:0:0/64"));
        assertEquals("2001:db8::1", Cidr.canonical("2001:DB8::1"));
        assertEquals("fe80::1%eth0", Cidr.canonical("fe80:0:0:0:0:0:0:1%eth0"), "the scope kept");
        assertEquals("192.0.2.0/24", Cidr.canonical("192.0.2.0/24"));
        assertEquals("google.com", Cidr.canonical("google.com"), "a domain key as it is");
        assertEquals("2001:db8::zz", Cidr.canonical("2001:db8::zz"), "nonsense as it is");
    }

    /** Postfix's mynetworks writes IPv6 in brackets: a block copied from main.cf reads as written there. */
    @Test
    void anIpv6BlockInPostfixsBracketsIsTheBlock() throws Exception {
        assertEquals(Cidr.parse("2001:db8::/32"), Cidr.parse("[2001:db8::]/32"));
        assertEquals(Cidr.parse("::1"), Cidr.parse(" [::1] "));
        assertTrue(Cidr.parse("[::1]/128").contains(InetAddress.getByName("::1")));
        assertEquals("192.0.2.0/24", Cidr.parse("[::ffff:192.0.2.0]/120").toString(), "a mapped block too");
    }

    @Test
    void namesAndNonsenseAreRefusedWithoutDns() {
        for (String bad : new String[] {"mail.example.com", "192.0.2.300", "192.0.2.0/33", "2001:db8::/129", "", "1.2.3",
            "192.0.2.0/x", "::gg", "[::1", "[::1]x", "[::1]/129", "[mail.example.com]"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad.isEmpty() ? "''" : bad), e.getMessage());
        }
    }
}
