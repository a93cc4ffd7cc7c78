package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

import org.greylite.testing.FakeWallClock;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two greylited processes, two MX hosts, on one PostgreSQL greydb, one of them with a wall clock a minute behind
 * (libfaketime in its process only): a retry moved from one host to the other is timed on one clock, the server's,
 * so it counts after min-delay wherever the first attempt was made, neither sooner nor a minute later.
 */
@Timeout(180)
class SkewedClocksSharedGreydbTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    /** Short, so that the test waits it out; far longer than a few RCPTs take. */
    static final Duration MIN_DELAY = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    /** A greylited on {@code url} that waits up to 5 s for a connection: room for a loaded machine. */
    private GreylitedProcess.Command greylited(String url) {
        return greylited(url, "5s");
    }

    private GreylitedProcess.Command greylited(String url, String busyTimeout) {
        return GreylitedProcess.command(upstream.address()).db(url)
                .args("--min-delay", MIN_DELAY.toSeconds() + "s", "--busy-timeout", busyTimeout)
                .withoutEnv("DBFILE", "PGPASSWORD").env(PG.env());
    }

    @Test
    void aRetryMovedBetweenHostsWhoseClocksDifferCountsAfterMinDelayOnTheServersClock() throws Exception {
        String url = PG.url(PG.createDatabase());
        FakeWallClock behind = FakeWallClock.in(dir);
        behind.step(Duration.ofMinutes(-1));
        try (GreylitedProcess right = greylited(url).start();
             GreylitedProcess late = greylited(url).env(behind.environment()).start()) {
            assertTrue(rcpt(right.address(), "a@example.org").startsWith("451 4.7.1 "), "first attempt of A");
            assertTrue(rcpt(late.address(), "b@example.org").startsWith("451 4.7.1 "), "first attempt of B");

            // On the late host's clock, B was first tried a minute before now at the other: it passed at once.
            String early = rcpt(right.address(), "b@example.org");
            assertTrue(early.startsWith("451 4.7.1 "), "B retried a moment later is too early: " + early);

            Thread.sleep(MIN_DELAY.plusSeconds(1).toMillis());
            // On its own clock, A was first tried 44 s ahead of now: it was refused as too early for a minute more.
            assertEquals("250 2.1.5 ok", rcpt(late.address(), "a@example.org"), "A, retried at the late host");
            assertEquals("250 2.1.5 ok", rcpt(right.address(), "b@example.org"), "B, retried at the other");
            assertTrue(late.log.stream().anyMatch(l -> l.contains("this host's clock is 60 s behind the PostgreSQL"
                    + " server's")), "the host whose clock is behind is told so: " + late.log);
        }
    }

    /**
     * A host started while the server was down learns the server's clock when the server answers: its first decision
     * then was timed by its own clock, a minute behind, and a retry at the other host passed at once.
     */
    @Test
    void aHostStartedWithTheServerDownTakesTheServersClockWhenItAnswers() throws Exception {
        String url = PG.url(PG.createDatabase());
        FakeWallClock behind = FakeWallClock.in(dir);
        behind.step(Duration.ofMinutes(-1));
        PG.stop();
        GreylitedProcess late;
        try {
            // With the server down, greylited waits its whole busy timeout at start, and its probe each pool's try:
            // 1 s. Where a decision's wait for a connection outlasts it, the RCPT is a greydb failure and asked again.
            late = greylited(url, "1s").env(behind.environment()).start();
        } finally {
            PG.start();
        }
        try (late; GreylitedProcess right = greylited(url).start()) {
            String first = "";
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!first.startsWith("451 4.7.1 ") && System.nanoTime() < deadline) {
                first = rcpt(late.address(), "c@example.org"); // accepted as a greydb failure until the server answers
                if (!first.startsWith("451 4.7.1 ")) {
                    Thread.sleep(200);
                }
            }
            assertTrue(first.startsWith("451 4.7.1 "), "the late host greylists once the server answers: " + first);
            String early = rcpt(right.address(), "c@example.org");
            assertTrue(early.startsWith("451 4.7.1 "), "retried a moment later at the other host: too early: " + early);
        }
    }

    /**
     * A host's clock stepped (NTP correcting a clock that was behind) while its greylited runs on the shared greydb:
     * the distance to the server's clock is measured again at the next decision, not up to a minute later. Until
     * then every time the host wrote was ahead by the step: a retry a moment after its first attempt passed, the
     * step looking like min-delay gone by.
     */
    @Test
    void aHostsClockSteppedForwardIsFollowedAtItsNextDecision() throws Exception {
        String url = PG.url(PG.createDatabase());
        FakeWallClock stepped = FakeWallClock.in(dir);
        try (GreylitedProcess host = greylited(url).env(stepped.environment()).start()) {
            assertTrue(rcpt(host.address(), "d@example.org").startsWith("451 4.7.1 "), "first attempt");

            stepped.step(Duration.ofHours(1));

            String early = rcpt(host.address(), "d@example.org");
            assertTrue(early.startsWith("451 4.7.1 "), "retried a moment later: too early, whatever the step: " + early);
            // Said by the log thread, which writes lines in batches: awaited, not looked for at once.
            host.awaitLine("this host's clock is 3600 s ahead of the PostgreSQL server's", Duration.ofSeconds(10));
        }
    }

    /** One session: MAIL from {@code sender}, one RCPT; the RCPT's reply. */
    private static String rcpt(InetSocketAddress proxy, String sender) throws IOException {
        return RawClient.rcptReply(proxy, sender, "b@example.com");
    }
}
