package org.greylite.greylist;

import java.time.Duration;

/**
 * greylite's schedule for the {@code retryinterval} behaviour (SPEC §3): a client retrying a triplet
 * that has n recorded refusals shows the behaviour when less than this has passed since the first
 * attempt: 20 s (n = 1), 200 s (n = 2), 500·(n−2) s (n ≥ 3). Real MTAs back off; bots hammer.
 */
public final class RetrySchedule {

    private RetrySchedule() {
    }

    /** The shortest time after the first attempt that a retry with {@code refusals} recorded refusals may come. */
    public static Duration minimumSinceFirst(int refusals) {
        if (refusals <= 1) {
            return Duration.ofSeconds(20);
        }
        if (refusals == 2) {
            return Duration.ofSeconds(200);
        }
        return Duration.ofSeconds(500L * (refusals - 2));
    }
}
