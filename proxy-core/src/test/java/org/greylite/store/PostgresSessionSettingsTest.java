package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import org.greylite.testing.PgBouncer;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The timeouts a DBA set on the greydb's role or database ({@code ALTER ROLE ... SET statement_timeout}) against the
 * ones every connection gets from the busy timeout: the stricter of the two holds.
 */
@Timeout(60)
class PostgresSessionSettingsTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static final TripletKey KEY = new TripletKey("192.0.2.1", "a@x.example", "b@y.example");

    @Test
    void aDbasSmallerTimeoutStaysAndTheBusyTimeoutReplacesALargerOneOrNone() throws Exception {
        String database = PG.createDatabase();
        PG.psql("postgres", "ALTER ROLE " + PostgresServer.USER + " IN DATABASE " + database
                + " SET statement_timeout = '1s'");
        PG.psql("postgres", "ALTER DATABASE " + database + " SET lock_timeout = '1min'");
        assertEquals(new Timeouts("1s", "5s", "15s"), timeouts(PG.url(database)));
    }

    @Test
    void withoutTheDbasTimeoutsTheBusyTimeoutHolds() throws Exception {
        assertEquals(new Timeouts("5s", "5s", "15s"), timeouts(PG.url(PG.createDatabase())));
    }

    @Test
    void aDbasSmallerTimeoutStaysThroughPgBouncerInTransactionPooling() throws Exception {
        String database = PG.createDatabase();
        PG.psql("postgres", "ALTER ROLE " + PostgresServer.USER + " IN DATABASE " + database
                + " SET idle_in_transaction_session_timeout = '12s'");
        PG.psql("postgres", "ALTER DATABASE " + database + " SET statement_timeout = '2s'");
        try (PgBouncer bouncer = PgBouncer.start(PG, PgBouncer.Mode.TRANSACTION, 1)) {
            assertEquals(new Timeouts("2s", "5s", "12s"), timeouts(bouncer.url(database) + "?prepareThreshold=0"));
        }
    }

    /**
     * What the DBA meant: a decision waiting behind another session's lock on the triplet gives up after the role's
     * lock_timeout of one second, not at the busy timeout ten seconds later (where statement_timeout, started a
     * little earlier, would end it).
     */
    @Test
    void aDecisionWaitingLongerThanTheRolesLockTimeoutIsCanceledByIt() throws Exception {
        String database = PG.createDatabase();
        PG.psql("postgres", "ALTER ROLE " + PostgresServer.USER + " IN DATABASE " + database + " SET lock_timeout = '1s'");
        try (GreylistStore store = GreylistStores.open(PG.url(database),
                new GreydbOptions(Duration.ofSeconds(10), 2, PG.env()));
                Connection other = DriverManager.getConnection(PG.jdbcUrl(database), PostgresServer.USER,
                        PG.password())) {
            Triplet pending = new Triplet(1, Instant.EPOCH, Instant.EPOCH, null);
            store.update(KEY, t -> new TripletUpdate<>(pending, null, null));
            other.setAutoCommit(false);
            try (Statement st = other.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(" + PostgresDialect.lockId(KEY) + ")");
                StoreException e = assertThrows(StoreException.class,
                        () -> store.update(KEY, t -> new TripletUpdate<>(null, null, t)));
                assertTrue(e.getMessage().contains("canceling statement due to lock timeout"), e.getMessage());
            } finally {
                other.rollback();
            }
        }
    }

    record Timeouts(String statement, String lock, String idleInTransaction) {
    }

    /** The timeouts of a connection the greydb's pool gives, with a busy timeout of 5 s. */
    private static Timeouts timeouts(String url) throws SQLException {
        try (PostgresGreydb db = PostgresGreydb.open((GreydbLocation.Postgres) GreydbLocation.parse(url),
                new GreydbOptions(Duration.ofSeconds(5), 1, PG.env()), PostgresUse.SERVICE);
                Connection conn = db.connection()) {
            Timeouts t = new Timeouts(show(conn, "statement_timeout"), show(conn, "lock_timeout"),
                    show(conn, "idle_in_transaction_session_timeout"));
            conn.commit();
            return t;
        }
    }

    private static String show(Connection conn, String setting) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
