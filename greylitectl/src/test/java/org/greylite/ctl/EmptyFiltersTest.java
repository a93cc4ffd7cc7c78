package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Greylister;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An empty filter (a shell variable that was not set, say) is refused: an empty regular expression is found in
 * every sender, so {@code db delete --sender ''} deleted every triplet past the "say which triplets" guard.
 */
class EmptyFiltersTest {

    @TempDir
    Path dir;

    @Test
    void emptyFiltersAndOptionsAreRefusedAndNothingIsDeleted() throws Exception {
        Path db = dir.resolve("greylite.db");
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            Greylister engine = Engines.keyedBy(store, ClientKeys.exactAddresses(), Clock.systemUTC());
            for (String ip : new String[] {"192.0.2.1", "192.0.2.2"}) {
                Engines.decide(engine, ip, "", "alice@example.org", "bob@example.com");
            }
        }
        Map<String, String> env = Map.of("DBFILE", db.toString());
        for (String option : new String[] {"--sender", "--recipient", "--client"}) {
            for (String value : new String[] {"", "  "}) {
                Ctl.Run del = Ctl.run(env, "db", "delete", option, value);
                assertEquals(2, del.exit(), option + " '" + value + "': " + del);
                assertTrue(del.err().contains(option + ": empty value"), del.toString());
                Ctl.Run list = Ctl.run(env, "db", "list", option, value);
                assertEquals(2, list.exit(), option + " '" + value + "': " + list);
                assertTrue(list.err().contains(option + ": empty value"), list.toString());
            }
        }
        Ctl.Run key = Ctl.run(env, "db", "list", "--client-key", "");
        assertEquals(2, key.exit(), key.toString());
        assertTrue(key.err().contains("--client-key: empty value"), key.toString());
        Ctl.Run busy = Ctl.run(env, "db", "list", "--busy-timeout", "");
        assertTrue(busy.err().contains("--busy-timeout: empty duration"), busy.toString());

        Ctl.Run list = Ctl.run(env, "db", "list", "--format", "csv");
        assertEquals(3, list.out().lines().count(), "both triplets are still there: " + list);
    }
}
