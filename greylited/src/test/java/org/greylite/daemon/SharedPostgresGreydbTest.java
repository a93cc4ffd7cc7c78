package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.greylite.testing.MutableClock;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.relay.ExecutorRcptPolicy;
import org.greylite.relay.RelaySettings;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two greylited instances (two MX hosts) in front of one upstream, sharing one PostgreSQL greydb, each
 * with its own connection pool, as two hosts would have: a sender greylisted at one host is known at
 * the other; the database going away makes them fail open (or answer 451 when fail-closed) and they
 * recover by themselves when it returns.
 */
@Timeout(120)
class SharedPostgresGreydbTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    /** How long a greydb operation may wait: short, so the outage test is quick. */
    // Generous: a fresh database on a busy CI machine may take over a second to answer; refused connections fail at once anyway.
    static final Duration DB_TIMEOUT = Duration.ofSeconds(5);

    final MutableClock clock = new MutableClock();
    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    Mx mx1;
    Mx mx2;

    /** One greylited: its own store (pool), engine, decision threads and MINA server. */
    final class Mx implements AutoCloseable {
        final GreylistStore store;
        final ProxyServer server;
        private final ExecutorService greydb = Executors.newFixedThreadPool(4);

        Mx(String url, boolean failOpen) {
            store = GreylistStores.open(url, new GreydbOptions(DB_TIMEOUT, 4, PG.env()));
            Greylister greylister = new Greylister(store, SuspicionPolicy.NONE,
                    GreylistSettings.defaults().withFailOpen(failOpen), clock, new DecisionLog());
            server = ProxyServer.builder()
                    .listen(new InetSocketAddress("127.0.0.1", 0))
                    .upstream(upstream.address())
                    .policy(new ExecutorRcptPolicy(greylister, greydb))
                    .relaySettings(RelaySettings.defaults("mx.test"))
                    .ioThreads(2)
                    .build().start();
        }

        /** One connection, one MAIL and one RCPT; returns the RCPT reply. */
        String rcpt(String from, String to) throws IOException {
            return RawClient.rcptReply(server.localAddress(), from, to);
        }

        @Override
        public void close() {
            server.stop(Duration.ZERO);
            greydb.shutdownNow();
            store.close();
        }
    }

    @AfterEach
    void stop() throws IOException {
        for (Mx mx : new Mx[] {mx1, mx2}) {
            if (mx != null) {
                mx.close();
            }
        }
    }

    private void twoHosts() {
        String url = PG.url(PG.createDatabase());
        mx1 = new Mx(url, true);
        mx2 = new Mx(url, true);
    }

    @Test
    void aSenderGreylistedAtOneHostPassesAtTheOtherAfterTheDelay() throws IOException {
        twoHosts();
        assertTrue(mx1.rcpt("a@example.org", "b@example.com").startsWith("451 4.7.1 "), "first attempt, at mx1");
        clock.advance(Duration.ofSeconds(60));
        String early = mx2.rcpt("a@example.org", "b@example.com");
        assertTrue(early.startsWith("451 4.7.1 ") && early.contains("240 seconds"),
                "mx2 knows the triplet: an early retry, 240 s to go: " + early);
        clock.advance(Duration.ofMinutes(5));
        assertEquals("250 2.1.5 ok", mx2.rcpt("a@example.org", "b@example.com"), "the retry passes at mx2");
        assertEquals("250 2.1.5 ok", mx1.rcpt("someone@example.org", "c@example.com"),
                "and the client is now whitelisted at mx1 too");
        assertEquals(2, upstream.commands.stream().filter(c -> c.startsWith("RCPT")).count(), upstream.commands.toString());
    }

    @Test
    void withTheDatabaseDownHostsFailOpenOrClosedAsConfiguredAndRecoverWhenItReturns() throws Exception {
        String database = PG.createDatabase();
        mx1 = new Mx(PG.url(database), true); // fails open, the default
        mx2 = new Mx(PG.url(database), false); // fails closed
        assertTrue(mx1.rcpt("a@example.org", "b@example.com").startsWith("451 4.7.1 "));

        PG.stop();
        try {
            long start = System.nanoTime();
            assertEquals("250 2.1.5 ok", mx1.rcpt("c@example.org", "d@example.com"), "fail open: the RCPT is accepted");
            assertEquals("451 4.3.0 greylisting is temporarily unavailable, try again later",
                    mx2.rcpt("c@example.org", "d@example.com"), "fail closed");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(DB_TIMEOUT.multipliedBy(4).plusSeconds(4)) < 0, "no RCPT hangs: " + took);
            // Known to be down: answered at once, none of them made to wait to find out whether it is back.
            start = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                assertEquals("250 2.1.5 ok", mx1.rcpt("g" + i + "@example.org", "d@example.com"));
            }
            took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(DB_TIMEOUT) < 0, "five RCPTs while the database is known down took " + took);
            // Still so once a whole timeout has passed: the server is probed in the background, not by an RCPT.
            Thread.sleep(DB_TIMEOUT.plusSeconds(1).toMillis());
            start = System.nanoTime();
            assertEquals("250 2.1.5 ok", mx1.rcpt("h@example.org", "d@example.com"));
            took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(DB_TIMEOUT.dividedBy(2)) < 0, "an RCPT a timeout later took " + took);
        } finally {
            PG.start();
        }

        // The pools reconnect by themselves: greylisting resumes at both hosts, with what was stored before.
        String reply = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!reply.startsWith("451 4.7.1 ") && System.nanoTime() < deadline) {
            reply = mx2.rcpt("e@example.org", "f@example.com");
            if (!reply.startsWith("451 4.7.1 ")) {
                Thread.sleep(200);
            }
        }
        assertTrue(reply.startsWith("451 4.7.1 "), "mx2 greylists again: " + reply);
        // Each host finds the server back on its own probe's time; mx1 fails open (250) until its probe has.
        // The same triplet, too early at mx1 once it sees the greydb again, adds no row.
        reply = "";
        while (!reply.startsWith("451 4.7.1 ") && System.nanoTime() < deadline) {
            reply = mx1.rcpt("e@example.org", "f@example.com");
            if (!reply.startsWith("451 4.7.1 ")) {
                Thread.sleep(200);
            }
        }
        assertTrue(reply.startsWith("451 4.7.1 "), "mx1 greylists again: " + reply);
        clock.advance(Duration.ofMinutes(6));
        assertEquals("250 2.1.5 ok", mx1.rcpt("a@example.org", "b@example.com"),
                "the triplet recorded before the outage passes at mx1");
        assertEquals("a@example.org b@example.com passed\ne@example.org f@example.com pending",
                PG.psql(database, "SELECT sender || ' ' || recipient || ' ' || CASE WHEN passed_at IS NULL THEN 'pending'"
                        + " ELSE 'passed' END FROM triplet ORDER BY sender"),
                "nothing was written for the RCPTs decided while the database was down");
    }
}
