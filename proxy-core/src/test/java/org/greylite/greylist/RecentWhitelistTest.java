package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class RecentWhitelistTest {

    static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

    @Test
    void aKeyCountsForTheTtlOnlyAndNotForAClockSetBack() {
        RecentWhitelist w = new RecentWhitelist(Duration.ofSeconds(1));
        w.remember("192.0.2.0/24", T0);
        assertTrue(w.contains("192.0.2.0/24", T0));
        assertTrue(w.contains("192.0.2.0/24", T0.plusMillis(999)));
        assertFalse(w.contains("192.0.2.0/24", T0.plusSeconds(1)));
        assertFalse(w.contains("192.0.2.0/24", T0.minusMillis(1)), "clock set back");
        assertFalse(w.contains("198.51.100.0/24", T0));
    }

    @Test
    void itStaysSmallDroppingStaleKeysFirst() {
        RecentWhitelist w = new RecentWhitelist(Duration.ofSeconds(1));
        for (int i = 0; i < RecentWhitelist.MAX_KEYS - 1; i++) {
            w.remember("stale-" + i, T0);
        }
        w.remember("fresh", T0.plusMillis(1500));
        assertEquals(RecentWhitelist.MAX_KEYS, w.size());
        w.remember("newest", T0.plusMillis(1600));
        assertEquals(2, w.size(), "the stale keys went");
        assertTrue(w.contains("fresh", T0.plusMillis(1600)));

        for (int i = 0; i < RecentWhitelist.MAX_KEYS; i++) {
            w.remember("busy-" + i, T0.plusSeconds(10));
        }
        assertTrue(w.size() <= RecentWhitelist.MAX_KEYS, "none stale: all dropped rather than grow");
    }
}
