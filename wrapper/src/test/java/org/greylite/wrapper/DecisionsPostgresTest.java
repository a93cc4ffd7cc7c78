package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

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

    @Test
    void twoConnectionsShareThePostgresqlGreydbAndKnownSendersSkip() throws Exception {
        Map<String, String> env = new HashMap<>(PG.env());
        String url = PG.url(PG.createDatabase());
        env.put("DBFILE", url);
        Instant t0 = Instant.parse("2026-06-01T00:00:00Z");
        GreylistSettings settings = GreylistSettings.defaults();

        Decisions first = new Decisions(org.greylite.config.Environment.dbLocation(env), Duration.ofSeconds(5),
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
