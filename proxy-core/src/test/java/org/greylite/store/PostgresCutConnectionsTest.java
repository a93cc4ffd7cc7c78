package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every session of a busy program cut at once (PostgreSQL restarted, a DBA's pg_terminate_backend, a failover): its
 * next decision goes through on a new connection instead of failing open on the cut ones the pool still holds.
 */
@Timeout(60)
class PostgresCutConnectionsTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static final int CONNECTIONS = 4;

    @Test
    void theDecisionAfterEverySessionWasCutGoesThrough() throws Exception {
        String database = PG.createDatabase();
        Triplet pending = new Triplet(1, Instant.EPOCH, Instant.EPOCH, null);
        ExecutorService hosts = Executors.newFixedThreadPool(CONNECTIONS);
        try (GreylistStore store = GreylistStores.open(PG.url(database),
                new GreydbOptions(Duration.ofSeconds(5), CONNECTIONS, PG.env()));
                Connection dba = DriverManager.getConnection(PG.jdbcUrl(database), PostgresServer.USER, PG.password())) {
            // As many decisions at once as the pool has connections: all of them open and just used.
            CyclicBarrier together = new CyclicBarrier(CONNECTIONS);
            List<Future<?>> busy = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                TripletKey key = new TripletKey("192.0.2." + i, "a@x.example", "b@y.example");
                busy.add(hosts.submit(() -> store.update(key, t -> {
                    try {
                        together.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return new TripletUpdate<>(pending, null, null);
                })));
            }
            for (Future<?> f : busy) {
                f.get();
            }

            try (Statement st = dba.createStatement(); ResultSet rs = st.executeQuery("SELECT count(pg_terminate_backend(pid))"
                    + " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
                rs.next();
                assertEquals(CONNECTIONS, rs.getInt(1), "the program's sessions");
            }

            TripletKey first = new TripletKey("192.0.2.0", "a@x.example", "b@y.example");
            assertEquals(Optional.of(pending), store.update(first, t -> new TripletUpdate<>(null, null, t)));
        } finally {
            hosts.shutdownNow();
        }
    }
}
