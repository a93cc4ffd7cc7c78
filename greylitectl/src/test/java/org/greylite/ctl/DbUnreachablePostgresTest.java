package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylitectl on a PostgreSQL greydb whose server it cannot reach: the administrator learns it in one line naming
 * the server and the reason, at once for a refusal and within seconds for a server that does not answer, with the
 * exit status of a greydb that cannot be opened. The long-running programs' outage handling (a log line, tries in
 * the background, the whole busy timeout per try) is not a command's. No PostgreSQL is needed: the servers are a
 * closed port and a socket that takes connections and never says a word.
 */
@Timeout(60)
class DbUnreachablePostgresTest {

    /**
     * The busy timeout given to the runs that must fail at once: a refused connection used to wait it out. Far longer
     * than greylitectl's default 10 s, so that the wait, if it came back, could not be mistaken for a slow start of
     * the JVM on a loaded machine.
     */
    static final String LONG_BUSY_TIMEOUT = "120s";

    /** Well under {@link #LONG_BUSY_TIMEOUT}, and far over a JVM's start and a failed connection. */
    static final Duration PROMPT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @RegisterExtension
    final SilentServer silent = new SilentServer();

    @Test
    void aRefusedConnectionFailsAtOnceInOneLine() {
        String url = "postgresql://mx@127.0.0.1:" + closedPort() + "/greylite";

        Ctl.MainRun run = Ctl.main(Map.of("PGPASSWORD", "pw-not-to-show"), "db", "stats", "--db", url,
                "--busy-timeout", LONG_BUSY_TIMEOUT);

        assertEquals("greylitectl: " + url + ": cannot connect: Connection refused\n", run.run().err(),
                "one line, the whole of stderr: " + run);
        assertEquals("", run.run().out());
        assertTrue(run.took().compareTo(PROMPT) < 0, "the busy timeout is not waited out: " + run);
        assertEquals(exitForAnSqliteGreydbItCannotOpen(), run.run().exit(), run.toString());
    }

    @Test
    void aGreydbNamedByDbfileFailsTheSameWay() {
        int port = closedPort();

        Ctl.MainRun run = Ctl.main(Map.of("DBFILE", "postgresql://mx@127.0.0.1:" + port + "/greylite"), "db", "list",
                "--busy-timeout", LONG_BUSY_TIMEOUT);

        assertEquals(2, run.run().exit(), run.toString());
        assertTrue(run.run().err().startsWith("greylitectl: postgresql://mx@127.0.0.1:" + port + "/greylite: ")
                && run.run().err().endsWith(" refused\n") && run.run().err().lines().count() == 1, run.toString());
        assertTrue(run.took().compareTo(PROMPT) < 0, run.toString());
    }

    @Test
    void aServerThatDoesNotAnswerTimesOutAfterAFewSeconds() throws IOException {
        String url = "postgresql://mx@127.0.0.1:" + silent.port() + "/greylite";

        long start = System.nanoTime();
        Ctl.Run run = Ctl.run(Map.of(), "db", "stats", "--db", url, "--busy-timeout", LONG_BUSY_TIMEOUT);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertEquals(2, run.exit(), run.toString());
        assertEquals("greylitectl: " + url + ": cannot connect: timed out after 3 s\n", run.err());
        assertTrue(took.compareTo(PROMPT) < 0, "took " + took.toMillis() + " ms, not the busy timeout");
    }

    @Test
    void theUrlsConnectTimeoutSetsTheWait() throws IOException {
        String url = "postgresql://mx@127.0.0.1:" + silent.port() + "/greylite";

        Ctl.Run run = Ctl.run(Map.of(), "db", "stats", "--db", url + "?connectTimeout=1");

        assertEquals("greylitectl: " + url + ": cannot connect: timed out after 1 s\n", run.err(), run.toString());
    }

    /**
     * libpq's connect_timeout, the parameter a URL written for psql has: the driver knows no such property, and the wait
     * was greylitectl's own 3 s whatever it said. As libpq reads it: 1 is its least, 2.
     */
    @Test
    void libpqsConnectTimeoutSetsTheWaitAsInPsql() throws IOException {
        String url = "postgresql://mx@127.0.0.1:" + silent.port() + "/greylite";

        Ctl.Run run = Ctl.run(Map.of(), "db", "stats", "--db", url + "?connect_timeout=1");

        assertEquals("greylitectl: " + url + ": cannot connect: timed out after 2 s\n", run.err(), run.toString());
    }

    @Test
    void aShorterBusyTimeoutShortensTheWaitToo() throws IOException {
        String url = "postgresql://mx@127.0.0.1:" + silent.port() + "/greylite";

        Ctl.Run run = Ctl.run(Map.of(), "db", "stats", "--db", url, "--busy-timeout", "1s");

        assertEquals("greylitectl: " + url + ": cannot connect: timed out after 1 s\n", run.err(), run.toString());
    }

    /** What greylitectl returns for an SQLite greydb it cannot open (none at the path given). */
    private int exitForAnSqliteGreydbItCannotOpen() {
        Ctl.Run sqlite = Ctl.run(Map.of(), "db", "stats", "--db", dir.resolve("missing.db").toString());
        assertTrue(sqlite.err().contains("no greydb there"), sqlite.toString());
        return sqlite.exit();
    }

    /** A loopback port nothing listens on: taken from the system, then let go. */
    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
