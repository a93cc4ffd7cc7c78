package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreydbLocation;
import org.greylite.suspicion.ClientFacts;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The wrapper with DBFILE naming a shared PostgreSQL greydb: one process per connection, one database. */
class DecisionsPostgresTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    private static RcptRequest rcpt(String ip, String ptr, String to) throws Exception {
        return new RcptRequest(InetAddress.getByName(ip), new ClientFacts(ip, ptr, "h", "a@x.example", to, null, null), null);
    }

    /**
     * The greydb is opened at the first RCPT that needs it, in each process. Its opening may wait (here for another
     * host's rewrite of old keys, as an upgrade makes it, each wait within the busy timeout), and the RCPT's own wait
     * for the greydb was counted from when it was asked: an opening longer than the busy timeout left the decision
     * "no time left within the busy timeout (all connections busy)", and the mail passed ungreylisted.
     */
    @Test
    void theFirstRcptIsDecidedAfterAnOpeningThatWaitedLongerThanTheBusyTimeout() throws Exception {
        Map<String, String> env = new HashMap<>(PG.env());
        String db = PG.createDatabase();
        String url = PG.url(db);
        Decisions maker = new Decisions(GreydbLocation.parse(url), Duration.ofSeconds(5), GreylistSettings.defaults(),
                null, env, Clock.systemUTC());
        maker.decide(rcpt("198.51.100.1", "", "m@y.example"));
        maker.close();
        PG.psql(db, "DELETE FROM greydb_meta WHERE key = 'client_key_text'"); // a greydb an older version wrote

        try (Connection otherHost = DriverManager.getConnection(PG.jdbcUrl(db), PostgresServer.USER, PG.password());
             Statement st = otherHost.createStatement()) {
            otherHost.setAutoCommit(false);
            // What another host opening the greydb at the same moment holds: the meta table, then the rewrite's lock.
            st.execute("LOCK TABLE greydb_meta IN ACCESS EXCLUSIVE MODE");
            st.execute("SELECT pg_advisory_lock(" + 0x6772_6579_6462_0001L + ")");
            Decisions opening = new Decisions(GreydbLocation.parse(url), Duration.ofSeconds(5),
                    GreylistSettings.defaults(), null, env, Clock.systemUTC());
            RcptRequest first = rcpt("192.0.2.7", "", "b@y.example");
            CompletableFuture<Verdict> verdict = CompletableFuture.supplyAsync(() -> opening.decide(first));
            Thread.sleep(3500);
            otherHost.commit(); // the meta table free; the rewrite's lock kept 3.5 s more
            Thread.sleep(3500);
            st.execute("SELECT pg_advisory_unlock(" + 0x6772_6579_6462_0001L + ")");
            otherHost.commit();

            assertEquals(Verdict.Reason.FIRST_ATTEMPT, verdict.get().reason());
            opening.close();
        }
    }

    @Test
    void twoConnectionsShareThePostgresqlGreydbAndKnownSendersSkip() throws Exception {
        Map<String, String> env = new HashMap<>(PG.env());
        String url = PG.url(PG.createDatabase());
        env.put("DBFILE", url);
        Instant t0 = Instant.parse("2026-06-01T00:00:00Z");
        GreylistSettings settings = GreylistSettings.defaults();

        Decisions first = new Decisions(org.greylite.store.GreydbLocation.parse(env.get("DBFILE"), env), Duration.ofSeconds(5),
                settings, null, env, Clock.fixed(t0, ZoneOffset.UTC));
        assertEquals(Verdict.Reason.FIRST_ATTEMPT, first.decide(rcpt("192.0.2.7", "", "b@y.example")).reason());
        assertEquals(Verdict.Reason.KNOWN_SENDER,
                first.decide(rcpt("209.85.220.41", "mail-sor-f41.google.com", "b@y.example")).reason(),
                "the shipped known-senders list is loaded");
        first.purgeIfDue();
        first.close();

        // The next connection, a new process under tcpserver, ten minutes later.
        Decisions second = new Decisions(GreydbLocation.parse(url), Duration.ofSeconds(5), settings, null, env,
                Clock.fixed(t0.plus(Duration.ofMinutes(10)), ZoneOffset.UTC));
        assertEquals(Verdict.Reason.PASSED, second.decide(rcpt("192.0.2.7", "", "b@y.example")).reason());
        second.close();
    }
}
