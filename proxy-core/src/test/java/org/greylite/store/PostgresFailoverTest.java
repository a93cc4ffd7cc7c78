package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failover named in {@code --db}: both servers of a primary and its standby, {@code targetServerType=primary}. The
 * first server turns read-only under a running program (as an old primary that became a standby; here by
 * {@code default_transaction_read_only}, which the JDBC driver's check for a primary reads as the standby's): the next
 * decision goes through on the second, which took over, without a greydb failure or a restart.
 */
@Timeout(90)
class PostgresFailoverTest {

    @RegisterExtension
    static final PostgresServer FIRST = new PostgresServer();

    @RegisterExtension
    static final PostgresServer SECOND = new PostgresServer();

    static final Triplet PENDING = new Triplet(1, Instant.EPOCH, Instant.EPOCH, null);

    @Test
    void theDecisionAfterThePrimaryTurnedReadOnlyGoesToTheServerThatTookOver() throws Exception {
        // The same database, role and password on both, as a replica has them.
        FIRST.psql("postgres", "CREATE DATABASE greydb");
        SECOND.psql("postgres", "CREATE DATABASE greydb");
        SECOND.psql("postgres", "ALTER ROLE " + PostgresServer.USER + " PASSWORD '" + FIRST.password() + "'");
        GreydbOptions options = new GreydbOptions(Duration.ofSeconds(5), 4, FIRST.env());
        GreylistStores.open(SECOND.url("greydb"), options).close(); // its tables, as the replica of the first has them

        String url = "postgresql://" + PostgresServer.USER + "@" + FIRST.host() + ":" + FIRST.port() + "," + SECOND.host()
                + ":" + SECOND.port() + "/greydb?targetServerType=primary";
        try (GreylistStore store = GreylistStores.open(url, options)) {
            store.update(key(1), t -> new TripletUpdate<>(PENDING, null, null));
            assertEquals(1, triplets(FIRST), "the first server is the primary while it may write");

            try (Connection before = DriverManager.getConnection(FIRST.jdbcUrl("greydb"), PostgresServer.USER,
                    FIRST.password())) {
                FIRST.psql("postgres", "ALTER SYSTEM SET default_transaction_read_only = on");
                FIRST.psql("postgres", "SELECT pg_reload_conf()");
                awaitReadOnly(before);
            }
            // PostgreSQL rereads its settings before a session's next command, so an idle pooled session's first
            // command still runs under the old ones: a BEGIN there starts a transaction that may write, which the
            // server a real failover turns into a standby never allows (only this simulation by a setting does).
            // The pool checks a connection idle for over 500 ms before lending it, and that check is the first
            // command: past the window, every session's BEGIN reads the new setting. Without the wait a session the
            // pool had just made (it fills itself in the background) could take the write on the first server.
            Thread.sleep(600);

            store.update(key(2), t -> new TripletUpdate<>(PENDING, null, null));
            assertEquals(1, triplets(SECOND), "written on the server that took over");
            assertEquals(Optional.of(PENDING), store.update(key(2), t -> new TripletUpdate<>(null, null, t)));
        }
        assertEquals(1, triplets(FIRST), "nothing more on the read-only server");
    }

    static TripletKey key(int i) {
        return new TripletKey("192.0.2." + i, "a@x.example", "b@y.example");
    }

    static int triplets(PostgresServer server) throws Exception {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl("greydb"), PostgresServer.USER, FIRST.password());
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM triplet")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Until {@code session}, open before the reload, has read it (as the program's have: they read it when idle). */
    static void awaitReadOnly(Connection session) throws Exception {
        try (Statement st = session.createStatement()) {
            for (int i = 0; i < 400; i++) { // 20 s: a loaded machine reloads slowly
                try (ResultSet rs = st.executeQuery("SHOW default_transaction_read_only")) {
                    rs.next();
                    if (rs.getString(1).equals("on")) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("the session open before the reload never read default_transaction_read_only = on");
    }
}
