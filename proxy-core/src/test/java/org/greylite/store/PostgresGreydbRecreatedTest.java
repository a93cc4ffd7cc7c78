package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The database of a running program dropped and made anew, empty (a DBA starting the greydb over, or restoring it
 * without its tables): the program makes the tables again, as at start, instead of failing every decision until it
 * is restarted.
 */
@Timeout(60)
class PostgresGreydbRecreatedTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static final TripletKey KEY = new TripletKey("192.0.2.1", "a@x.example", "b@y.example");

    @Test
    void aDatabaseDroppedAndMadeAnewGetsItsTablesBackAtTheNextDecision() throws Exception {
        String database = PG.createDatabase();
        Triplet pending = new Triplet(1, Instant.EPOCH, Instant.EPOCH, null);
        try (GreylistStore store = GreylistStores.open(PG.url(database), new GreydbOptions(Duration.ofSeconds(5), 2,
                PG.env()))) {
            store.update(KEY, t -> new TripletUpdate<>(pending, null, null));

            PG.psql("postgres", "DROP DATABASE " + database + " WITH (FORCE)");
            PG.psql("postgres", "CREATE DATABASE " + database);

            // The decisions that find the pooled connections cut, and the one that finds the tables missing, are
            // greydb failures; then the tables are made again, empty, and the decision is recorded in them.
            List<String> failures = new ArrayList<>();
            Optional<Triplet> found = null;
            for (int i = 0; i < 100 && found == null; i++) {
                try {
                    found = store.update(KEY, t -> new TripletUpdate<>(pending, null, t));
                } catch (StoreException e) {
                    failures.add(e.getMessage());
                    Thread.sleep(100);
                }
            }
            assertEquals(Optional.empty(), found, "the tables are made again, empty; failures: " + failures);
            assertTrue(failures.stream().anyMatch(f -> f.contains("ERROR: relation \"") && f.contains("\" does not exist")),
                    failures.toString());
            assertEquals(Optional.of(pending), store.update(KEY, t -> new TripletUpdate<>(null, null, t)));
        }
        assertEquals("1", PG.psql(database, "SELECT count(*) FROM triplet"));
    }
}
