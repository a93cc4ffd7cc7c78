package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreydbSchema;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.ClientFacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An SQLite greydb written by an older version, which keyed IPv6 clients in Java's full text
 * ({@code 2001:db8:0:0:0:0:0:0/64}): after the upgrade the engine finds its rows, and so does greylitectl, by the
 * address as the mail log shows it.
 */
class OlderIpv6KeysTest {

    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    /** The greydb as the older version left it: a pending triplet of 2001:db8::1's /64, a hand-made entry. */
    private Path olderGreydb() throws Exception {
        Path db = dir.resolve("greylite.db");
        long s0 = T0.getEpochSecond();
        String network = InetAddress.getByName("2001:db8::").getHostAddress() + "/64"; // how the older version wrote it
        assertEquals("2001:db8:0:0:0:0:0:0/64", network);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            for (String sql : GreydbSchema.statements()) {
                st.execute(sql);
            }
            st.execute("INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen) VALUES ('"
                    + network + "', 'a@x.example', 'b@y.example', 1, " + s0 + ", " + s0 + ")");
            st.execute("INSERT INTO whitelist (client, source, created, last_seen, comment) VALUES"
                    + " ('2001:db8:ffff:0:0:0:0:0/48', 'admin', " + s0 + ", " + s0 + ", 'partner')");
        }
        return db;
    }

    private static Ctl.Run ctl(Path db, Instant now, String... args) {
        return Ctl.run(Map.of("DBFILE", db.toString()), Clock.fixed(now, ZoneOffset.UTC), args);
    }

    @Test
    void theEngineFindsTheTripletAndGreylitectlItsRow() throws Exception {
        Path db = olderGreydb();
        Instant retry = T0.plus(GreylistSettings.DEFAULT_MIN_DELAY);
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Greylister engine = Engines.keyedBy(store, ClientKeys.networks(), Clock.fixed(retry, ZoneOffset.UTC));
            Reason reason = engine.decide(new RcptRequest(InetAddress.getByName("2001:db8::1"), new ClientFacts(
                    "2001:db8::1", "", "mx.example", "a@x.example", "b@y.example", Map.of(), Set.of()), null)).reason();
            assertEquals(Reason.PASSED, reason, "the retry after the delay passes: not taken for a first attempt");
        }

        Ctl.Run list = ctl(db, retry, "db", "list", "--client", "2001:db8::1", "--format", "csv");
        assertEquals(0, list.exit(), list.toString());
        String[] lines = list.out().split("\r\n");
        assertEquals(2, lines.length, list.toString());
        assertTrue(lines[1].startsWith("2001:db8::/64,<a@x.example>,<b@y.example>,passed,1,"), list.toString());
        Ctl.Run remove = ctl(db, retry, "db", "whitelist", "remove", "2001:db8:ffff::/48");
        assertEquals("removed 2001:db8:ffff::/48 from the whitelist\n", remove.out(), remove.toString());
    }

    @Test
    void greylitectlOpeningItFirstFindsThePendingTriplet() throws Exception {
        Path db = olderGreydb();
        Ctl.Run list = ctl(db, T0.plusSeconds(60), "db", "list", "--client", "2001:db8::1", "--format", "csv");
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.out().contains("\r\n2001:db8::/64,<a@x.example>,<b@y.example>,pending,1,"), list.toString());
        Ctl.Run white = ctl(db, T0.plusSeconds(60), "db", "list", "--whitelist", "--format", "csv");
        assertTrue(white.out().contains("\r\n2001:db8:ffff::/48,admin,"), white.toString());
    }
}
