package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class DnsServersTest {

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void addressesWithOptionalPorts() throws Exception {
        assertEquals(at("192.0.2.53", 53), DnsServers.parse("192.0.2.53", "--dns"));
        assertEquals(at("192.0.2.53", 5353), DnsServers.parse(" 192.0.2.53:5353 ", "--dns"));
        assertEquals(at("2001:db8::53", 53), DnsServers.parse("2001:db8::53", "--dns"));
        assertEquals(at("2001:db8::53", 5353), DnsServers.parse("[2001:db8::53]:5353", "--dns"));
        assertEquals(at("::1", 53), DnsServers.parse("[::1]", "--dns"));
    }

    @Test
    void dnscacheipIsASpaceSeparatedList() throws Exception {
        assertEquals(List.of(at("127.0.0.1", 53), at("192.0.2.1", 5300)),
                DnsServers.parseList(" 127.0.0.1\t192.0.2.1:5300 ", "DNSCACHEIP"));
    }

    @Test
    void hostNamesAndBadPortsAreRefusedWithTheSettingsName() {
        for (String bad : List.of("dns.example", "192.0.2.1:0", "192.0.2.1:70000", "192.0.2.1:x", "[::1", "[::1]x",
                "300.1.1.1", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DnsServers.parse(bad, "--dns"));
            assertTrue(e.getMessage().startsWith("--dns wants an IP address"), e.getMessage());
        }
    }

    @Test
    void aQueryIsResentEveryQuarterSecondThreeTimesThenAfterDoublingDelaysWithinTheTimeout() throws Exception {
        DnsServers.Resolvers r = DnsServers.resolvers(List.of(at("127.0.0.1", 53)), Duration.ofSeconds(5), 2);
        assertEquals(Duration.ofMillis(250), r.firstRetry());
        assertEquals(List.of(0L, 250L, 500L, 750L, 1500L, 3000L), ((RetryingResolver) r.resolver()).schedule());
    }

    @Test
    void aShortTimeoutStillLeavesRoomForResends() throws Exception {
        // --ptr-timeout 500ms: PTR and A must each get at least two resends.
        DnsServers.Resolvers r = DnsServers.resolvers(List.of(at("127.0.0.1", 53)), Duration.ofMillis(500), 2);
        assertEquals(Duration.ofMillis(62), r.firstRetry());
        assertEquals(List.of(0L, 62L, 124L, 186L, 372L), ((RetryingResolver) r.resolver()).schedule());
    }
}
