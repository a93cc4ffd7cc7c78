package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

class DynamicNamesTest {

    private static boolean dynamic(String ptr, String ip) throws Exception {
        return DynamicNames.looksDynamic(ptr, InetAddress.getByName(ip));
    }

    @Test
    void namesThatSpellTheAddressOrNameAPoolAreDynamic() throws Exception {
        assertTrue(dynamic("203-0-113-7.dsl.isp.example", "203.0.113.7"));
        assertTrue(dynamic("7.113.0.203.in-addr.isp.example", "203.0.113.7"));
        assertTrue(dynamic("0-113-7.rev.isp.example", "203.0.113.7"));
        assertTrue(dynamic("host-113-7.isp.example", "203.0.113.7"), "two octets and a pool word");
        assertTrue(dynamic("cb007107.isp.example", "203.0.113.7"));
        assertTrue(dynamic("pool-a1.isp.example", "198.51.100.9"));
        assertTrue(dynamic("ppp12.dialup.isp.example", "198.51.100.9"));
        assertTrue(dynamic("customer.cable.isp.example", "198.51.100.9"));
    }

    @Test
    void mailServerNamesAreNot() throws Exception {
        assertFalse(dynamic("mail-sor-f41.google.com", "209.85.220.41"));
        assertFalse(dynamic("a48-108.smtp-out.amazonses.com", "54.240.48.108"), "two octets alone are not enough");
        assertFalse(dynamic("mta-113-7.sender.example", "203.0.113.7"));
        assertFalse(dynamic("mx1.example.org", "192.0.2.1"));
        assertFalse(dynamic("mail.dynamics-consulting.example", "192.0.2.1"), "a word inside a word does not count");
    }

    @Test
    void registrableDomainsComeFromThePublicSuffixList() {
        assertEquals("google.com", ClientKeys.registrableDomain("mail-sor-f41.google.com"));
        assertEquals("example.co.uk", ClientKeys.registrableDomain("smtp.out.example.co.uk"));
        assertEquals("amazonses.com", ClientKeys.registrableDomain("a48-108.smtp-out.amazonses.com"));
        assertNull(ClientKeys.registrableDomain("co.uk"), "a bare public suffix identifies nobody");
        assertNull(ClientKeys.registrableDomain("localhost"));
    }

    @Test
    void parseNamesEveryMode() {
        assertEquals(ClientKeys.Mode.SMART, ClientKeys.parse("smart").mode());
        assertEquals(ClientKeys.Mode.NET, ClientKeys.parse("NET").mode());
        assertEquals(ClientKeys.Mode.IP, ClientKeys.parse("ip").mode());
    }
}
