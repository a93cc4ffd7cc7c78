package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;

import org.junit.jupiter.api.Test;

class IpLiteralTest {

    @Test
    void dottedQuadsAndIpv6AddressesAreRead() throws Exception {
        assertEquals(InetAddress.getByName("192.0.2.1"), IpLiteral.parse("192.0.2.1").orElseThrow());
        assertEquals(InetAddress.getByName("2001:db8::1"), IpLiteral.parse("2001:DB8:0:0:0:0:0:1").orElseThrow());
        assertEquals(InetAddress.getByName("::1"), IpLiteral.parse("::1").orElseThrow());
    }

    @Test
    void anIpv4MappedAddressIsTheIpv4Address() {
        InetAddress mapped = IpLiteral.parse("::ffff:192.0.2.1").orElseThrow();
        assertTrue(mapped instanceof Inet4Address, mapped.toString());
        assertEquals("192.0.2.1", mapped.getHostAddress());
    }

    @Test
    void anythingElseIsNoLiteralAndNeverLookedUp() {
        for (String text : new String[] {"", "localhost", "mail.example.org", "127.1", "0x7f.0.0.1", "010.0.0.1",
                "256.0.0.1", "192.0.2.1 ", " 192.0.2.1", "[2001:db8::1]", "fe80::1%eth0", "192.0.2.1:25", "1:2:3",
                "2001:db8::g", ":"}) {
            assertTrue(IpLiteral.parse(text).isEmpty(), text);
        }
    }
}
