package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.greylite.greylist.ClientKeyOrder;
import org.greylite.greylist.RecordedTimes;
import org.greylite.net.Cidr;

/**
 * Adds up the live triplets for {@link GreydbAdmin#stats}: the times from first attempt to pass, and the
 * refusals per client network. One implementation, so every store's statistics agree.
 */
final class StatsTally {

    private final List<Long> waits = new ArrayList<>();
    private final Map<String, Long> refused = new HashMap<>();
    /** The latest time a row may hold, in Unix seconds: a later one is taken as this (see {@link #add}). */
    private final long latest;

    /** A tally at {@code now}. */
    StatsTally(Instant now) {
        this.latest = RecordedTimes.latestAt(now).getEpochSecond();
    }

    /**
     * One live triplet; {@code passedAt} null while it is pending. Times in Unix seconds. A time later than the clock
     * (written while it was ahead) is taken as now, as the engine takes it: a triplet that passed while the clock was
     * five years ahead counted five years to pass, and one such row made the 95th percentile read 1825d.
     */
    void add(String client, int refusals, long firstSeen, Long passedAt) {
        if (passedAt != null && refusals > 0) {
            waits.add(Math.min(passedAt, latest) - Math.min(firstSeen, latest));
        }
        if (refusals > 0) {
            refused.merge(network(client), (long) refusals, Long::sum);
        }
    }

    GreydbAdmin.Stats stats(long pending, long passed, long whitelistAuto, long whitelistAdmin, long blacklist) {
        List<Long> sorted = new ArrayList<>(waits);
        Collections.sort(sorted);
        // Most refused first; networks refused as often in ClientKeyOrder (a stable sort keeps it).
        List<Map.Entry<String, Long>> byCount = ClientKeyOrder.sorted(refused.entrySet(), Map.Entry::getKey);
        byCount.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        List<GreydbAdmin.NetworkRefusals> top = byCount.stream()
                .limit(10).map(e -> new GreydbAdmin.NetworkRefusals(e.getKey(), e.getValue())).toList();
        return new GreydbAdmin.Stats(pending, passed, whitelistAuto, whitelistAdmin, blacklist,
                percentile(sorted, 50), percentile(sorted, 95), top);
    }

    /** The /24 (IPv4) or /64 (IPv6) a client key belongs to; other keys as they are. */
    private static String network(String clientKey) {
        try {
            Cidr c = Cidr.parse(clientKey);
            return c.widenTo(c.isIpv4() ? 24 : 64).toString();
        } catch (IllegalArgumentException e) {
            return clientKey;
        }
    }

    /** Nearest-rank percentile; null when there is no sample. */
    private static Duration percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return Duration.ofSeconds(sorted.get(Math.max(0, rank - 1)));
    }
}
