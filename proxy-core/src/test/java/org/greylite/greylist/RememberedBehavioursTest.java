package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.greylite.store.StoredState;
import org.greylite.store.Triplet;
import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.Suspicion;
import org.junit.jupiter.api.Test;

/**
 * The remembered behaviours of a client key are read from the greydb only when they can change N: when the
 * suspicion rules give the retryinterval behaviour another N than without it, and the attempt does not show it
 * already. Otherwise the query would decide nothing (the default, without such a rule).
 */
class RememberedBehavioursTest {

    static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    static final String KEY = "192.0.2.7";

    private final List<String> reads = new ArrayList<>();

    private StoredState state(Optional<Triplet> triplet, Map<String, Instant> remembered) {
        return new StoredState(false, () -> {
            reads.add(KEY);
            return remembered;
        }, triplet, StoredState.NONE_PENDING, StoredState.NONE_PASSED);
    }

    private static TripletTransition transition(Instant now, Suspicion plain, Suspicion retrying) {
        return new TripletTransition(GreylistSettings.defaults(), Duration.ofHours(1), KEY, now, plain, retrying);
    }

    @Test
    void notReadWhenTheRetryIntervalBehaviourChangesNothing() {
        Suspicion same = new Suspicion(2, null);
        Map<String, Instant> remembered = Map.of(Behaviour.RETRYINTERVAL.keyword(), T0);
        Verdict first = transition(T0.plusSeconds(60), same, same).apply(state(Optional.empty(), remembered)).result();
        Verdict retry = transition(T0.plus(Duration.ofMinutes(20)), same, same)
                .apply(state(Optional.of(new Triplet(1, T0, T0, null)), remembered)).result();

        assertEquals(List.of(), reads, "the same N either way: no read");
        assertEquals(Verdict.Reason.FIRST_ATTEMPT, first.reason());
        assertEquals(2, first.refusalsNeeded());
        assertEquals(Verdict.Reason.MORE_ATTEMPTS, retry.reason());
    }

    @Test
    void readWhenARuleGivesTheBehaviourAnotherN() {
        Suspicion plain = new Suspicion(1, null);
        Suspicion retrying = new Suspicion(3, null);
        Instant now = T0.plusSeconds(60);

        Verdict remembered = transition(now, plain, retrying)
                .apply(state(Optional.empty(), Map.of(Behaviour.RETRYINTERVAL.keyword(), T0))).result();
        Verdict forgotten = transition(now, plain, retrying).apply(state(Optional.empty(), Map.of())).result();

        assertEquals(List.of(KEY, KEY), reads);
        assertEquals(3, remembered.refusalsNeeded(), "a client remembered retrying too soon gets the rules' N for it");
        assertEquals(1, forgotten.refusalsNeeded());
    }

    @Test
    void notReadWhenTheAttemptShowsTheBehaviourItself() {
        Suspicion plain = new Suspicion(1, null);
        Suspicion retrying = new Suspicion(3, null);
        // A retry ten seconds after the first attempt: sooner than greylite's schedule, the behaviour shown now.
        Verdict v = transition(T0.plusSeconds(10), plain, retrying)
                .apply(state(Optional.of(new Triplet(1, T0, T0, null)), Map.of())).result();

        assertEquals(List.of(), reads, "the retrying N applies whatever was remembered");
        assertEquals(3, v.refusalsNeeded());
    }
}
