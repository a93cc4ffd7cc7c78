package org.greylite.ucspi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;

import org.junit.jupiter.api.Test;

class IpLiteralsTest {

    @Test
    void ipv4IsReversedByOctet() {
        assertEquals("2.0.0.127", IpLiterals.reversed(IpLiterals.parse("127.0.0.2").orElseThrow()));
        assertEquals("1.2.0.192", IpLiterals.reversed(IpLiterals.parse("192.0.2.1").orElseThrow()));
        assertEquals("255.0.10.1", IpLiterals.reversed(IpLiterals.parse("1.10.0.255").orElseThrow()));
    }

    @Test
    void ipv6IsReversedByNibble() {
        // RFC 5782 §2.4's example
        InetAddress address = IpLiterals.parse("2001:db8:1:2:3:4:567:89ab").orElseThrow();
        assertEquals("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2",
                IpLiterals.reversed(address));
        assertEquals("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
                IpLiterals.reversed(IpLiterals.parse("::1").orElseThrow()));
        assertEquals(IpLiterals.reversed(IpLiterals.parse("2001:DB8::1").orElseThrow()),
                IpLiterals.reversed(IpLiterals.parse("2001:0db8:0:0:0:0:0:1").orElseThrow()));
    }

    @Test
    void ipv4MappedAddressesAreQueriedAsIpv4() {
        InetAddress mapped = IpLiterals.parse("::ffff:127.0.0.2").orElseThrow();
        assertInstanceOf(Inet4Address.class, mapped);
        assertEquals("2.0.0.127", IpLiterals.reversed(mapped));
    }

    @Test
    void zoneIsDropped() {
        assertEquals(IpLiterals.parse("fe80::1"), IpLiterals.parse("fe80::1%eth0"));
    }

    @Test
    void notLiteralsAreRejectedWithoutAnyLookup() {
        for (String text : new String[] {null, "", " ", "localhost", "mail.example", "127.1", "1.2.3",
                "256.0.0.1", "1.2.3.4.5", "01.2.3.4x", "::g", "1:2:3:4:5:6:7:8:9", "-1.2.3.4", "1.2.3.4/24"}) {
            assertTrue(IpLiterals.parse(text).isEmpty(), String.valueOf(text));
        }
    }
}
