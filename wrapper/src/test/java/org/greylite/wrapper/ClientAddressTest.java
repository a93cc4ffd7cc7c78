package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.greylite.net.AddressText;
import org.junit.jupiter.api.Test;

class ClientAddressTest {

    @Test
    void literalsAreParsed() {
        assertEquals("192.0.2.7", ClientAddress.parse("192.0.2.7").getHostAddress());
        assertEquals("192.0.2.7", ClientAddress.parse(" 192.0.2.7\n").getHostAddress());
        assertEquals("2001:db8::1", AddressText.of(ClientAddress.parse("2001:DB8:0:0:0:0:0:1")));
        assertEquals("2001:db8::1", AddressText.of(ClientAddress.parse("[2001:db8::1]")));
        assertEquals("192.0.2.1", ClientAddress.parse("::ffff:192.0.2.1").getHostAddress());
    }

    @Test
    void anythingElseIsRefusedWithoutAskingDns() {
        for (String bad : new String[] {null, "", "localhost", "mail.example.org", "127.1", "1.2.3.256", "1.2.3.4.5",
                "1..2.3", "1:2:3:zz::", "1:::2", "0x7f.0.0.1", "192.0.2.7%eth0"}) {
            assertNull(ClientAddress.parse(bad), String.valueOf(bad));
        }
    }
}
