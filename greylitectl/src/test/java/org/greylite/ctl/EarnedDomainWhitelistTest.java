package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under the default client key (smart), a client with a forward-confirmed PTR name earns its whitelist entry keyed
 * by that name's registrable domain; {@code db list --whitelist} shows it, and {@code db whitelist remove} ends it.
 */
class EarnedDomainWhitelistTest {

    @TempDir
    Path dir;

    @Test
    void anEarnedEntryKeyedByADomainIsRemovedByThatDomainOrTheClientsName() throws Exception {
        Path db = dir.resolve("greylite.db");
        Map<String, String> env = Map.of("DBFILE", db.toString());
        MutableClock clock = new MutableClock();
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Greylister engine = engine(store, ClientKeys.smart(), clock);
            earn(engine, clock, "203.0.113.5", "mx1.example.co.uk");
            earn(engine, clock, "198.51.100.25", "mail-sor-f41.google.com");

            Ctl.Run listed = Ctl.run(env, "db", "list", "--whitelist", "--format", "csv");
            assertTrue(listed.out().contains("\r\nexample.co.uk,auto,"), listed.toString());

            Ctl.Run byDomain = Ctl.run(env, "db", "whitelist", "remove", "Example.co.uk.");
            assertEquals(0, byDomain.exit(), byDomain.toString());
            assertEquals("removed example.co.uk from the whitelist\n", byDomain.out());
            assertEquals(Verdict.Action.GREYLIST, decide(engine, "203.0.113.5", "mx1.example.co.uk", "new@example.com")
                    .action(), "the client no longer skips greylisting");

            Ctl.Run byName = Ctl.run(env, "db", "whitelist", "remove", "mail-sor-f99.google.com");
            assertEquals(0, byName.exit(), byName.toString());
            assertEquals("removed google.com from the whitelist (the key of mail-sor-f99.google.com)\n", byName.out());

            Ctl.Run again = Ctl.run(env, "db", "whitelist", "remove", "google.com");
            assertEquals(1, again.exit(), again.toString());
            assertEquals("greylitectl: google.com is not on the whitelist\n", again.err());

            Ctl.Run black = Ctl.run(env, "db", "blacklist", "remove", "google.com");
            assertEquals(2, black.exit(), black.toString());
            assertTrue(black.err().contains("'google.com' is not an IP address or CIDR block"), black.toString());
        }
    }

    /**
     * A hand-made entry added over one the client earned replaces it: {@code --until 2h} over 36 earned days leaves
     * the client 2 hours. That was said as a plain "added"; the administrator is now told what was replaced.
     */
    @Test
    void addingOverAnEarnedEntrySaysItReplacesIt() throws Exception {
        Path db = dir.resolve("greylite.db");
        Map<String, String> env = Map.of("DBFILE", db.toString());
        MutableClock clock = new MutableClock();
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Greylister engine = engine(store, ClientKeys.exactAddresses(), clock);
            earn(engine, clock, "192.0.2.77", "mx.example.net");
        }
        Ctl.Run over = Ctl.run(env, "db", "whitelist", "add", "192.0.2.77", "--until", "2h");
        assertEquals(0, over.exit(), over.toString());
        assertTrue(over.out().startsWith("added 192.0.2.77 to the whitelist until ")
                && over.out().endsWith(", in place of the entry it had earned (a hand-made entry ends then, not as the "
                        + "client delivers)\n"), over.toString());

        Ctl.Run fresh = Ctl.run(env, "db", "whitelist", "add", "192.0.2.78");
        assertEquals("added 192.0.2.78 to the whitelist\n", fresh.out(), "a client without an earned entry");
    }

    /** The engine on {@code store}, keying clients by {@code keys}, every decision read from the greydb. */
    private static Greylister engine(GreylistStore store, ClientKeys keys, MutableClock clock) {
        return Engines.on(store, GreylistSettings.defaults().withClientKeys(keys).withWhitelistMemory(Duration.ZERO),
                clock);
    }

    /** The client's first attempt is refused, its retry after min-delay passes and earns the client its entry. */
    private static void earn(Greylister engine, MutableClock clock, String ip, String ptr) throws Exception {
        assertEquals(Verdict.Action.GREYLIST, decide(engine, ip, ptr, "rcpt@example.com").action());
        clock.advance(Duration.ofMinutes(6));
        assertEquals(Verdict.Action.ACCEPT, decide(engine, ip, ptr, "rcpt@example.com").action());
    }

    private static Verdict decide(Greylister engine, String ip, String ptr, String to) {
        return Engines.decide(engine, ip, ptr, "sender@example.org", to);
    }
}
