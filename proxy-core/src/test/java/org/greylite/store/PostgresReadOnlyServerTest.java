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
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * The server behind a running program's pooled connections turned read-only (a primary that became a hot standby
 * while the name or address in {@code --db} moved to the new primary; here {@code default_transaction_read_only},
 * which the server applies to a session when it starts): the program drops those connections and decides on new
 * ones, instead of failing every RCPT until it is restarted.
 */
@Timeout(90)
class PostgresReadOnlyServerTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static final Triplet PENDING = new Triplet(1, Instant.EPOCH, Instant.EPOCH, null);

    @Test
    void pooledConnectionsToAServerThatTurnedReadOnlyAreReplacedByWritableOnes() throws Exception {
        String database = PG.createDatabase();
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(PostgresGreydb.class);
        logger.addAppender(log);
        try (GreylistStore store = GreylistStores.open(PG.url(database), new GreydbOptions(Duration.ofSeconds(5), 4,
                PG.env()))) {
            store.update(key(0), t -> new TripletUpdate<>(PENDING, null, null));

            // Every session the program has, and every new one, lands on a read-only server.
            PG.psql("postgres", "ALTER DATABASE " + database + " SET default_transaction_read_only = on");
            terminateSessions(database);
            List<String> failures = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                try {
                    store.update(key(i), t -> new TripletUpdate<>(PENDING, null, null));
                } catch (StoreException e) {
                    failures.add(e.getMessage());
                }
            }
            assertEquals(5, failures.size(), "written on a read-only server: " + failures);
            assertTrue(failures.stream().allMatch(f -> f.contains("read-only")), failures.toString());
            // Said once, not per RCPT: the pooled connections dropped, then the new ones read-only too.
            assertEquals(List.of("a pooled connection's server refuses writes", "the server refuses writes on new"
                    + " connections too"), lines(log), lines(log).toString());

            // New sessions land on a writable server again; the pooled ones stay on the read-only one (as a standby's
            // sessions do while the primary's name points elsewhere).
            PG.psql("postgres", "ALTER DATABASE " + database + " RESET default_transaction_read_only");
            boolean written = false;
            List<String> later = new ArrayList<>();
            for (int i = 0; i < 50 && !written; i++) {
                try {
                    store.update(key(6), t -> new TripletUpdate<>(PENDING, null, null));
                    written = true;
                } catch (StoreException e) {
                    later.add(e.getMessage());
                    Thread.sleep(100);
                }
            }
            assertTrue(written, "written again on a writable server; failures: " + later);
            assertEquals(Optional.of(PENDING), store.update(key(0), t -> new TripletUpdate<>(null, null, t)));
            assertEquals("a new connection may write again", lines(log).get(lines(log).size() - 1));
        } finally {
            logger.detachAppender(log);
        }
        assertEquals("2", PG.psql(database, "SELECT count(*) FROM triplet"));
    }

    /**
     * The server down, and back read-only (the old primary restarted as a standby, still the one named in --db): the
     * RCPTs' error and the log say it refuses writes, not that it cannot be reached, and the program recovers when it
     * may write again.
     */
    @Test
    void aServerThatComesBackReadOnlyIsSaidToRefuseWrites() throws Exception {
        String database = PG.createDatabase();
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(PostgresGreydb.class);
        logger.addAppender(log);
        try (GreylistStore store = GreylistStores.open(PG.url(database), new GreydbOptions(Duration.ofSeconds(5), 2,
                PG.env()))) {
            store.update(key(0), t -> new TripletUpdate<>(PENDING, null, null));
            PG.psql("postgres", "ALTER DATABASE " + database + " SET default_transaction_read_only = on");
            PG.stop();
            try {
                assertTrue(failure(store).contains("cannot connect"));
            } finally {
                PG.start();
            }
            String error = "";
            for (int i = 0; i < 100 && !error.contains("refuses writes"); i++) {
                Thread.sleep(100);
                error = failure(store);
            }
            assertTrue(error.contains("the server answers but refuses writes"), error);
            assertEquals(List.of("cannot connect", "the server answers but refuses writes"), lines(log),
                    lines(log).toString());

            PG.psql("postgres", "ALTER DATABASE " + database + " RESET default_transaction_read_only");
            boolean written = false;
            for (int i = 0; i < 50 && !written; i++) {
                try {
                    store.update(key(1), t -> new TripletUpdate<>(PENDING, null, null));
                    written = true;
                } catch (StoreException e) {
                    Thread.sleep(100);
                }
            }
            assertTrue(written, lines(log).toString());
        } finally {
            logger.detachAppender(log);
        }
    }

    /** The error of a decision that must fail. */
    static String failure(GreylistStore store) {
        try {
            store.update(key(9), t -> new TripletUpdate<>(PENDING, null, null));
            return "(written)";
        } catch (StoreException e) {
            return e.getMessage();
        }
    }

    /** What the greydb logged, each line without the URL before it nor the explanation after. */
    static List<String> lines(ListAppender<ILoggingEvent> log) {
        return log.list.stream().map(e -> e.getFormattedMessage().replaceFirst("^[^ ]*: ", "")
                .replaceFirst(" \\(.*", "").replaceFirst(":.*", "")).toList();
    }

    static TripletKey key(int i) {
        return new TripletKey("192.0.2." + i, "a@x.example", "b@y.example");
    }

    static void terminateSessions(String database) {
        PG.psql("postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '"
                + database + "' AND pid <> pg_backend_pid()");
    }
}
