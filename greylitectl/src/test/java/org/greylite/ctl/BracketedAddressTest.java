package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client as Postfix's log writes it, {@code unknown[2001:db8::5]}: the bracketed address an administrator copies
 * from there, or a block as {@code mynetworks} writes it ({@code [2001:db8::]/32}), is taken wherever greylitectl takes
 * a client address, on a real SQLite greydb the engine wrote.
 */
class BracketedAddressTest {

    @TempDir
    Path dir;

    @Test
    void theLogsBracketedClientIsTakenWhereverAnAddressIs() throws Exception {
        Path db = dir.resolve("greylite.db");
        Map<String, String> env = Map.of("DBFILE", db.toString());
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Greylister engine = Engines.keyedBy(store, ClientKeys.exactAddresses(), Clock.systemUTC());
            for (String ip : new String[] {"192.0.2.1", "2001:db8::5"}) {
                Engines.decide(engine, ip, "", "a@x.example", "b@y.example");
            }
        }

        Ctl.Run listed = Ctl.run(env, "db", "list", "--client", "[2001:db8::5]", "--client-key", "ip", "--format", "csv");
        assertEquals(0, listed.exit(), listed.toString());
        assertEquals(2, listed.out().split("\r\n").length, listed.toString());
        assertTrue(listed.out().contains("\r\n2001:db8::5,<a@x.example>,<b@y.example>,pending,"), listed.toString());

        Ctl.Run deleted = Ctl.run(env, "db", "delete", "--client", " [192.0.2.1] ", "--client-key", "ip");
        assertEquals("deleted 1 triplet\n", deleted.out(), deleted.toString());

        Ctl.Run added = Ctl.run(env, "db", "whitelist", "add", "[2001:db8::]/32");
        assertEquals("added 2001:db8::/32 to the whitelist\n", added.out(), added.toString());
        Ctl.Run removed = Ctl.run(env, "db", "whitelist", "remove", "[2001:db8::]/32");
        assertEquals("removed 2001:db8::/32 from the whitelist\n", removed.out(), removed.toString());
        Ctl.Run black = Ctl.run(env, "db", "blacklist", "add", "[192.0.2.1]");
        assertEquals("added 192.0.2.1 to the blacklist\n", black.out(), black.toString());
        Ctl.Run blacklist = Ctl.run(env, "db", "list", "--blacklist", "--client", "[192.0.2.1]", "--format", "csv");
        assertTrue(blacklist.out().contains("\r\n192.0.2.1,"), blacklist.toString());

        Path rules = Files.writeString(dir.resolve("suspicion"), "4 r ^$\n");
        Ctl.Run explained = Ctl.run(Map.of(), "suspicion", "explain", rules.toString(), "--ip", "[2001:DB8::5]", "--json");
        assertEquals(0, explained.exit(), explained.toString());
        assertTrue(explained.out().startsWith("{\"line\": 1, \"attempts\": 4,"), explained.toString());

        Ctl.Run notAnAddress = Ctl.run(env, "db", "list", "--client", "[mail.example.com]");
        assertEquals(2, notAnAddress.exit(), notAnAddress.toString());
        assertTrue(notAnAddress.err().startsWith("greylitectl: --client: '[mail.example.com]' is not an IP address"),
                notAnAddress.err());
    }

    /**
     * The other ways an IPv6 client reaches an administrator: RFC 5321's address literal in a {@code Received:}
     * line or a sendmail log ({@code [IPv6:2001:db8::5]}), XCLIENT's {@code IPV6:} tag, a link-local client's
     * zone ({@code fe80::1%eth0}; greylited's log writes the interface's number, {@code %2}).
     */
    @Test
    void theTaggedAndZonedFormsOfAnIpv6ClientAreTakenToo() throws Exception {
        Path db = dir.resolve("greylite.db");
        Map<String, String> env = Map.of("DBFILE", db.toString());
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Greylister engine = Engines.keyedBy(store, ClientKeys.exactAddresses(), Clock.systemUTC());
            for (String ip : new String[] {"2001:db8::5", "fe80::1"}) {
                Engines.decide(engine, ip, "", "a@x.example", "b@y.example");
            }
        }

        for (String typed : new String[] {"[IPv6:2001:db8::5]", "IPV6:2001:DB8::5", "[ipv6:2001:db8:0:0:0:0:0:5]"}) {
            Ctl.Run listed = Ctl.run(env, "db", "list", "--client", typed, "--client-key", "ip", "--format", "csv");
            assertEquals(0, listed.exit(), typed + ": " + listed);
            assertTrue(listed.out().contains("\r\n2001:db8::5,<a@x.example>,"), typed + ": " + listed);
        }
        for (String typed : new String[] {"fe80::1%eth0", "[fe80::1%2]", "FE80::1%lo"}) {
            Ctl.Run listed = Ctl.run(env, "db", "list", "--client", typed, "--client-key", "ip", "--format", "csv");
            assertEquals(0, listed.exit(), typed + ": " + listed);
            assertTrue(listed.out().contains("\r\nfe80::1,<a@x.example>,"), typed + ": " + listed);
        }
        Ctl.Run deleted = Ctl.run(env, "db", "delete", "--client", "[IPv6:2001:db8::5]", "--client-key", "ip");
        assertEquals("deleted 1 triplet\n", deleted.out(), deleted.toString());

        Ctl.Run added = Ctl.run(env, "db", "whitelist", "add", "[IPv6:2001:db8::]/32");
        assertEquals("added 2001:db8::/32 to the whitelist\n", added.out(), added.toString());
        Ctl.Run black = Ctl.run(env, "db", "blacklist", "add", "fe80::66%eth0");
        assertEquals("added fe80::66 to the blacklist\n", black.out(), black.toString());
        Ctl.Run removed = Ctl.run(env, "db", "blacklist", "remove", "[fe80::66%eth0]");
        assertEquals("removed fe80::66 from the blacklist\n", removed.out(), removed.toString());

        Path rules = Files.writeString(dir.resolve("suspicion"), "4 r ^$\n");
        Ctl.Run explained = Ctl.run(Map.of(), "suspicion", "explain", rules.toString(), "--ip", "[IPv6:2001:DB8::5]",
                "--json");
        assertEquals(0, explained.exit(), explained.toString());
        assertTrue(explained.out().startsWith("{\"line\": 1, \"attempts\": 4,"), explained.toString());

        Ctl.Run zonedIpv4 = Ctl.run(env, "db", "list", "--client", "192.0.2.1%eth0");
        assertEquals(2, zonedIpv4.exit(), "an IPv4 address has no zone: " + zonedIpv4);
    }

    /**
     * A block of IPv4-mapped addresses, as a dual-stack socket shows IPv4 clients ({@code ::ffff:192.0.2.0/120}): the
     * IPv4 block it maps, its prefix counted in the IPv6 address's 128 bits, as the access file reads it.
     */
    @Test
    void anIpv4MappedBlockIsTheIpv4BlockItMaps() throws Exception {
        Path db = dir.resolve("greylite.db");
        Map<String, String> env = Map.of("DBFILE", db.toString());
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Engines.decide(Engines.on(store, GreylistSettings.defaults(), Clock.systemUTC()), "192.0.2.1", "",
                    "a@x.example", "b@y.example");
        }
        Ctl.Run listed = Ctl.run(env, "db", "list", "--client", "::ffff:192.0.0.0/112", "--format", "csv");
        assertEquals(0, listed.exit(), listed.toString());
        assertTrue(listed.out().contains("\r\n192.0.2.0/24,<a@x.example>,"), listed.toString());

        Ctl.Run added = Ctl.run(env, "db", "whitelist", "add", "[::FFFF:198.51.100.0]/120");
        assertEquals("added 198.51.100.0/24 to the whitelist\n", added.out(), added.toString());
        Ctl.Run one = Ctl.run(env, "db", "blacklist", "add", "::ffff:203.0.113.7/128");
        assertEquals("added 203.0.113.7 to the blacklist\n", one.out(), one.toString());

        Ctl.Run tooWide = Ctl.run(env, "db", "list", "--client", "::ffff:192.0.0.0/95");
        assertEquals(2, tooWide.exit(), tooWide.toString());
        assertTrue(tooWide.err().contains("bad prefix length in '::ffff:192.0.0.0/95' (96-128"), tooWide.err());
    }
}
