package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.greylite.testing.PgBouncer;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A PostgreSQL greydb reached through PgBouncer, in session and in transaction pooling, beside the same greydb
 * reached directly: the connections get the server settings that bound every wait, whichever way they come.
 */
@Timeout(60)
class PgBouncerGreydbTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static PgBouncer session;
    /** One server connection for all its clients: each client's transactions run on the one its neighbour used. */
    static PgBouncer transaction;

    @BeforeAll
    static void startBouncers() throws Exception {
        session = PgBouncer.start(PG, PgBouncer.Mode.SESSION);
        transaction = PgBouncer.start(PG, PgBouncer.Mode.TRANSACTION, 1);
    }

    @AfterAll
    static void stopBouncers() {
        for (PgBouncer bouncer : new PgBouncer[] {session, transaction}) {
            if (bouncer != null) {
                bouncer.close();
            }
        }
    }

    static final TripletKey KEY = new TripletKey("192.0.2.1", "a@x.example", "b@y.example");

    static GreydbOptions options(Duration busyTimeout) {
        return new GreydbOptions(busyTimeout, 2, PG.env());
    }

    /**
     * Two MX hosts through transaction pooling: the JDBC driver prepares a statement it runs often (S_1...) on the
     * server connection of the moment and expects it there later. The error says what to add to the URL, and with it
     * every decision goes through and counts.
     */
    @Test
    void transactionPoolingWithoutPrepareThresholdZeroIsNamedAndWithItDecisionsCount() {
        String database = PG.createDatabase();
        StoreException e = assertThrows(StoreException.class, () -> twoHostsCountTheSameTriplet(transaction.url(database)));
        assertTrue(e.getMessage().contains("Add prepareThreshold=0 to the URL"), e.getMessage());

        assertEquals(20, twoHostsCountTheSameTriplet(transaction.url(PG.createDatabase()) + "?prepareThreshold=0"));
    }

    /** Two stores on {@code url} add one refusal each to one triplet, ten times; returns the count they reach. */
    private static int twoHostsCountTheSameTriplet(String url) {
        try (GreylistStore a = GreylistStores.open(url, options(Duration.ofSeconds(5)));
                GreylistStore b = GreylistStores.open(url, options(Duration.ofSeconds(5)))) {
            int refusals = 0;
            for (int i = 0; i < 10; i++) {
                for (GreylistStore host : new GreylistStore[] {a, b}) {
                    refusals = host.update(KEY, t -> {
                        Triplet next = new Triplet(t.map(Triplet::refusals).orElse(0) + 1, Instant.EPOCH, Instant.EPOCH,
                                null);
                        return new TripletUpdate<>(next, null, next.refusals());
                    });
                }
            }
            return refusals;
        }
    }

    /**
     * A database name PgBouncer does not serve (mistyped in the URL, or missing from pgbouncer.ini) is no server
     * down: a service stops at start saying so, as for a database missing on a server reached directly, instead of
     * starting to wait for it and failing open at every RCPT meanwhile.
     */
    @Test
    void aDatabasePgBouncerDoesNotServeStopsAServiceAtStart() throws Exception {
        try (PgBouncer one = PgBouncer.serving(PG, PgBouncer.Mode.SESSION, "greydb")) {
            StoreException e = assertThrows(StoreException.class,
                    () -> GreylistStores.open(one.url("greydbb"), options(Duration.ofSeconds(3))).close());
            assertTrue(e.getMessage().endsWith(":" + one.port() + "/greydbb: cannot connect: FATAL: no such database: greydbb"),
                    e.getMessage());
        }
    }

    @Test
    void aTableLockedLongerThanTheBusyTimeoutIsReportedByTheServerThroughPgBouncer() throws Exception {
        String database = PG.createDatabase();
        aTableLockedLongerThanTheBusyTimeoutIsReportedByTheServer(database, session.url(database));
    }

    @Test
    void aTableLockedLongerThanTheBusyTimeoutIsReportedByTheServer() throws Exception {
        String database = PG.createDatabase();
        aTableLockedLongerThanTheBusyTimeoutIsReportedByTheServer(database, PG.url(database));
    }

    /**
     * The server's lock_timeout or statement_timeout ends the wait (the connection stays usable), not the driver's
     * socket timeout a second later, which only fires when the connection did not get the settings.
     */
    private static void aTableLockedLongerThanTheBusyTimeoutIsReportedByTheServer(String database, String url)
            throws Exception {
        try (GreylistStore store = GreylistStores.open(url, options(Duration.ofSeconds(3)));
                Connection dba = DriverManager.getConnection(PG.jdbcUrl(database), PostgresServer.USER, PG.password())) {
            Triplet pending = new Triplet(1, Instant.EPOCH, Instant.EPOCH, null);
            store.update(KEY, t -> new TripletUpdate<>(pending, null, null));
            dba.setAutoCommit(false);
            try (Statement st = dba.createStatement()) {
                st.execute("LOCK TABLE triplet IN ACCESS EXCLUSIVE MODE");
                StoreException e = assertThrows(StoreException.class,
                        () -> store.update(KEY, t -> new TripletUpdate<>(null, null, t)));
                assertTrue(e.getMessage().contains("canceling statement due to"), e.getMessage());
            } finally {
                dba.rollback();
            }
            assertEquals(Optional.of(pending), store.update(KEY, t -> new TripletUpdate<>(null, null, t)));
        }
    }
}
