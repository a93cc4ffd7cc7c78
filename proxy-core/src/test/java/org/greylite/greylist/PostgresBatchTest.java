package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.MutableClock;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Greylister#decideAll} on PostgreSQL, where each decision of a batch commits as it ends (greydaemon's
 * datagrams that came together): one that the server refuses leaves the others recorded, and each is answered as
 * recorded. The batch used to be answered as wholly failed: a client greylisted and recorded was let through as on a
 * greydb error (and refused under fail-closed).
 */
@Timeout(60)
class PostgresBatchTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    @Test
    void aDecisionTheServerRefusesLeavesTheOthersOfItsBatchAnsweredAsRecorded() throws Exception {
        String db = PG.createDatabase();
        MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00Z"));
        GreydbOptions options = new GreydbOptions(Duration.ofSeconds(10), 2, PG.env());
        try (GreylistStore store = GreylistStores.open(PG.url(db), options)) {
            // A real refusal by the server, for one recipient's row only, as a constraint or a full table space gives.
            PG.psql(db, "CREATE FUNCTION refuse_broken() RETURNS trigger AS $$ BEGIN"
                    + " IF NEW.recipient = 'broken@example.org' THEN RAISE EXCEPTION 'no room for this row'; END IF;"
                    + " RETURN NEW; END $$ LANGUAGE plpgsql;"
                    + " CREATE TRIGGER refuse_broken BEFORE INSERT ON triplet FOR EACH ROW EXECUTE FUNCTION refuse_broken()");
            List<Verdict> told = new ArrayList<>();
            Greylister g = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults().withFailOpen(false),
                    clock, (r, v) -> told.add(v));
            List<Verdict> verdicts = g.decideAll(List.of(
                    GreylisterTest.rcpt("192.0.2.7", "a@example.net", "one@example.org"),
                    GreylisterTest.rcpt("192.0.2.7", "a@example.net", "broken@example.org"),
                    GreylisterTest.rcpt("192.0.2.7", "a@example.net", "three@example.org")), System.nanoTime());

            assertEquals(List.of(Reason.FIRST_ATTEMPT, Reason.STORE_ERROR, Reason.FIRST_ATTEMPT),
                    verdicts.stream().map(Verdict::reason).toList());
            assertEquals(verdicts, told, "the listener told each as answered");
            assertEquals("one@example.org\nthree@example.org",
                    PG.psql(db, "SELECT recipient FROM triplet ORDER BY recipient"));
        }
    }
}
