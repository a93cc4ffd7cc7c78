package org.greylite.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.Dnsmasq;
import org.greylite.testing.DnsmasqPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** DNS whitelist lookups against a real DNS server (dnsmasq) on loopback. */
class DnswlLookupTest {

    @RegisterExtension
    static final DnsmasqPerClass dns = new DnsmasqPerClass();

    private static Optional<String> lookup(String ip, String... zones) throws Exception {
        DnswlLookup l = DnswlLookup.create(List.of(zones).stream().map(DnswlLookup.Zone::parse).toList(),
                List.of(dns.address()), Duration.ofSeconds(2));
        return l.lookup(InetAddress.getByName(ip)).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aListingAtOrAboveTheThresholdCounts() throws Exception {
        assertEquals(Optional.of("wl.test"), lookup("127.0.0.1", "wl.test=2"));
        assertEquals(Optional.of("wl.test"), lookup("127.0.0.1", "wl.test"));
        assertEquals(Optional.empty(), lookup("127.0.0.1", "wl.test=3"), "trust 2 is below 3");
        assertEquals(Optional.of("low.test"), lookup("127.0.0.1", "low.test"));
        assertEquals(Optional.of("wl.test"), lookup("127.0.0.1", "low.test=1", "wl.test=1"), "first listing zone in order");
    }

    @Test
    void aClientBehindNat64IsLookedUpByItsIpv4Address() throws Exception {
        // Behind a NAT64 translator every IPv4 client is 64:ff9b::a.b.c.d: by those nibbles no list holds it.
        assertEquals(Optional.of("wl.test"), lookup("64:ff9b::127.0.0.1", "wl.test"));
    }

    @Test
    void unlistedAddressesAndDeadServersAreNotListed() throws Exception {
        assertEquals(Optional.empty(), lookup("127.0.0.9", "wl.test"));
        try (DatagramSocket hole = Dnsmasq.blackHole()) {
            DnswlLookup l = DnswlLookup.create(List.of(DnswlLookup.Zone.parse("wl.test")),
                    List.of(new InetSocketAddress("127.0.0.1", hole.getLocalPort())), Duration.ofMillis(800));
            long t0 = System.nanoTime();
            assertEquals(Optional.empty(), l.lookup(InetAddress.getByName("127.0.0.1")).get(10, TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "bounded by the timeout");
        }
    }

    @Test
    void aListsRefusalToAnswerIsNoListing() throws Exception {
        // dnswl.org answers 127.0.0.255 to a resolver over its query limit, Spamhaus-style lists 127.255.255.x to one
        // they do not serve: read as trust levels 255 and 254, every client of that resolver skipped greylisting.
        try (Dnsmasq refusing = Dnsmasq.serving("1.0.0.127.trusted.test.", List.of(
                "--local=/trusted.test/", "--address=/1.0.0.127.trusted.test/127.0.10.3",
                "--local=/blocked.test/", "--address=/1.0.0.127.blocked.test/127.0.0.255",
                "--local=/refused.test/", "--address=/1.0.0.127.refused.test/127.255.255.254"))) {
            assertEquals(Optional.of("trusted.test"), lookupVia(refusing, "trusted.test=3"), "a real listing still counts");
            assertEquals(Optional.empty(), lookupVia(refusing, "blocked.test"), "dnswl.org's query-limit answer");
            assertEquals(Optional.empty(), lookupVia(refusing, "blocked.test=3"));
            assertEquals(Optional.empty(), lookupVia(refusing, "refused.test"), "an answer from 127.255.255.0/24");
        }
    }

    private static Optional<String> lookupVia(Dnsmasq server, String zone) throws Exception {
        DnswlLookup l = DnswlLookup.create(List.of(DnswlLookup.Zone.parse(zone)), List.of(server.address()),
                Duration.ofSeconds(2));
        return l.lookup(InetAddress.getByName("127.0.0.1")).get(5, TimeUnit.SECONDS);
    }

    @Test
    void zonesParse() {
        assertEquals(new DnswlLookup.Zone("list.dnswl.org", 2), DnswlLookup.Zone.parse("list.dnswl.org.=2"));
        assertThrows(IllegalArgumentException.class, () -> DnswlLookup.Zone.parse("list.dnswl.org=high"));
        assertThrows(IllegalArgumentException.class, () -> DnswlLookup.Zone.parse("=2"));
    }
}
