package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.greylite.testing.MutableClock;
import org.greylite.greylist.Verdict.Reason;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Min-delay against a clock with fractions of a second, on a real greydb file, which keeps whole seconds: no retry
 * counts before min-delay has passed (SPEC §3.4), and the figures the refusals give agree with when it counts.
 */
class MinDelayPrecisionTest {

    static final Duration MIN_DELAY = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private GreylistStore store;
    private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00.900Z"));
    private Greylister engine;

    @BeforeEach
    void open() {
        store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5));
        engine = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults().withMinDelay(MIN_DELAY),
                clock, (r, v) -> { });
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Verdict attempt() {
        return engine.decide(GreylisterTest.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
    }

    @Test
    void aRetryLessThanMinDelayLaterIsRefusedEvenWhenTheWholeSecondsDifferByMinDelay() {
        Verdict first = attempt();
        assertEquals(Reason.FIRST_ATTEMPT, first.reason());
        assertEquals(4, first.retryAfterSeconds(), "3.1 s from x.90 to the next whole second plus 3 s, rounded up");

        clock.advance(Duration.ofMillis(2160)); // at :03.060, 2.16 s later: whole seconds 3 apart
        Verdict early = attempt();
        assertEquals(Reason.EARLY_RETRY, early.reason());
        assertEquals(1, early.retryAfterSeconds());

        clock.advance(Duration.ofMillis(900)); // at :03.960, 3.06 s after the first attempt
        assertEquals(Reason.EARLY_RETRY, attempt().reason(), "counted from the next whole second: 0.04 s more to wait");

        clock.advance(Duration.ofMillis(40)); // at :04.000, what the first refusal's figure promised
        assertEquals(Reason.PASSED, attempt().reason());
    }

    @Test
    void aRetryExactlyMinDelayAfterARefusalOnAWholeSecondCounts() {
        clock.set(Instant.parse("2024-05-01T12:00:00Z"));
        Verdict first = attempt();
        assertEquals(3, first.retryAfterSeconds(), "a whole second is recorded as it is: no second more");
        clock.advance(MIN_DELAY.minusMillis(1));
        assertEquals(Reason.EARLY_RETRY, attempt().reason());
        clock.advance(Duration.ofMillis(1));
        assertEquals(Reason.PASSED, attempt().reason());
    }

    @Test
    void theRetryFiguresOfASecondRefusalFollowTheSameRule() {
        engine = new Greylister(store, facts -> new org.greylite.suspicion.Suspicion(2, null),
                GreylistSettings.defaults().withMinDelay(MIN_DELAY), clock, (r, v) -> { });
        attempt();
        clock.set(Instant.parse("2024-05-01T12:00:04.500Z"));
        Verdict second = attempt();
        assertEquals(Reason.MORE_ATTEMPTS, second.reason());
        assertEquals(4, second.retryAfterSeconds(), "recorded as :05, counts from :08, 3.5 s away");
        clock.set(Instant.parse("2024-05-01T12:00:07.999Z"));
        assertEquals(Reason.EARLY_RETRY, attempt().reason());
        clock.set(Instant.parse("2024-05-01T12:00:08Z"));
        assertEquals(Reason.PASSED, attempt().reason());
    }

    @Test
    void withoutMinDelayARetryCountsAtOnce() {
        engine = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults().withMinDelay(Duration.ZERO),
                clock, (r, v) -> { });
        assertEquals(Reason.FIRST_ATTEMPT, attempt().reason());
        clock.advance(Duration.ofMillis(10));
        assertEquals(Reason.PASSED, attempt().reason(), "--min-delay 0: only the count matters, as in greylite 2.3");
    }
}
