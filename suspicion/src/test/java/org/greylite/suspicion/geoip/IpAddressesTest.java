package org.greylite.suspicion.geoip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "1.2.3.4", "255.255.255.255", "193.0.6.139", "::", "::1", "1::", "2001:db8::1",
        "2001:db8:0:0:1:0:0:1", "fe80::1:2", "::ffff:1.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "ABCD:ef01::"})
    void parsesLikeTheJdk(String text) throws UnknownHostException {
        // The JDK, given a literal, does not resolve; it also turns ::ffff:a.b.c.d into IPv4, as unmapIpv4 does.
        byte[] expected = InetAddress.getByName(text).getAddress();
        assertArrayEquals(expected, IpAddresses.unmapIpv4(IpAddresses.parse(text)), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "a.b.c.d", "1..2.3", "1.2.3.", ":::",
        "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:", "12345::", "g::1", "1:2:3:4:5:6:7:8::", "mail.example.org",
        "::1.2.3", "1.2.3.4::"})
    void refusesWhatIsNotAnAddress(String text) {
        assertNull(IpAddresses.parse(text), text);
    }
}
