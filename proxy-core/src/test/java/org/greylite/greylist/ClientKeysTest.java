package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;

class ClientKeysTest {

    private static InetAddress ip(String s) throws UnknownHostException {
        return InetAddress.getByName(s); // literals only: no lookup
    }

    /** ::ffff:a.b.c.d as a dual-stack socket reports it (InetAddress.getByName would unmap it already). */
    static InetAddress mapped(String v4) {
        try {
            byte[] b4 = InetAddress.getByName(v4).getAddress();
            byte[] b = new byte[16];
            b[10] = (byte) 0xff;
            b[11] = (byte) 0xff;
            System.arraycopy(b4, 0, b, 12, 4);
            InetAddress a = Inet6Address.getByAddress(null, b, -1);
            assertTrue(a instanceof Inet6Address);
            return a;
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void networkModeUsesSlash24AndSlash64() throws Exception {
        ClientKeys k = ClientKeys.networks();
        assertEquals(ClientKeys.Mode.NET, k.mode());
        assertEquals("192.0.2.0/24", k.keyFor(ip("192.0.2.7")));
        assertEquals("192.0.2.0/24", k.keyFor(ip("192.0.2.255")));
        assertEquals("2001:db8:0:1::/64", k.keyFor(ip("2001:db8:0:1:2:3:4:5")));
        assertEquals("2001:db8:0:1::/64", k.keyFor(ip("2001:db8::1:ffff:ffff:ffff:ffff")));
    }

    @Test
    void anIpv4MappedAddressIsItsIpv4Address() throws Exception {
        assertEquals("192.0.2.0/24", ClientKeys.networks().keyFor(mapped("192.0.2.7")));
        assertEquals("192.0.2.7", ClientKeys.exactAddresses().keyFor(mapped("192.0.2.7")));
        assertEquals("::fffe:c000:207", ClientKeys.exactAddresses().keyFor(ip("::fffe:192.0.2.7")),
                "only ::ffff: is a mapped address");
    }

    @Test
    void addressModeKeepsTheAddress() throws Exception {
        ClientKeys k = ClientKeys.exactAddresses();
        assertEquals(ClientKeys.Mode.IP, k.mode());
        assertEquals("192.0.2.7", k.keyFor(ip("192.0.2.7")));
        assertEquals("2001:db8:0:1:2:3:4:5", k.keyFor(ip("2001:db8:0:1:2:3:4:5")));
    }

    @Test
    void otherPrefixLengths() throws Exception {
        ClientKeys k = new ClientKeys(ClientKeys.Mode.NET, 20, 48);
        assertEquals("192.0.0.0/20", k.keyFor(ip("192.0.15.7")));
        assertEquals("2001:db8:abcd::/48", k.keyFor(ip("2001:db8:abcd:1234::1")));
        assertEquals("192.0.2.7", new ClientKeys(ClientKeys.Mode.NET, 32, 128).keyFor(ip("192.0.2.7")));
    }

    @Test
    void prefixLengthsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new ClientKeys(ClientKeys.Mode.NET, 0, 64));
        assertThrows(IllegalArgumentException.class, () -> new ClientKeys(ClientKeys.Mode.NET, 33, 64));
        assertThrows(IllegalArgumentException.class, () -> new ClientKeys(ClientKeys.Mode.NET, 24, 129));
    }

    @Test
    void aRememberedKeyIsTheOneForThatAddressAndThatName() throws Exception {
        ClientKeys k = ClientKeys.smart();
        InetAddress a = ip("192.0.2.7");
        for (int i = 0; i < 3; i++) { // asked again: from memory, the same answers
            assertEquals("google.com", k.keyFor(a, "mail-ot1-f41.google.com"));
            assertEquals("example.org", k.keyFor(a, "mx.example.org"));
            assertEquals("192.0.2.0/24", k.keyFor(a, ""));
            assertEquals("192.0.2.0/24", k.keyFor(a, null));
            assertEquals("192.0.2.0/24", k.keyFor(a, "192-0-2-7.dsl.example.net"));
            assertEquals("198.51.100.0/24", k.keyFor(ip("198.51.100.9"), "192-0-2-7.dsl.example.net"));
        }
    }

    @Test
    void theMemoryStartsAgainPastItsBoundAndStillAnswersRight() throws Exception {
        ClientKeys k = ClientKeys.networks();
        for (int i = 0; i < ClientKeys.MAX_REMEMBERED + 10; i++) {
            InetAddress a = InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
            assertEquals("10." + ((i >> 16) & 0xff) + "." + ((i >> 8) & 0xff) + ".0/24", k.keyFor(a, "host.example.com"));
        }
    }
}
