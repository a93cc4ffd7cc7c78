package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A greydb table whose rows expire, as the purge walks it: its primary key columns (the order it is walked in), the
 * columns holding when something happened, and the condition under which a row has expired, with that condition's
 * parameters.
 *
 * @param name      the table
 * @param key       its primary key columns, all text
 * @param times     its columns holding when something happened, Unix seconds (not an administrator's end date)
 * @param now       the clock's time, Unix seconds, which times ahead are judged by and brought back to
 * @param expired   an SQL condition on the row, true when it has expired
 * @param arguments the values of the condition's parameters, Unix seconds
 */
record ExpiringTable(String name, List<String> key, List<String> times, long now, String expired, long... arguments) {

    /**
     * How far ahead of the clock a time may be before the purge brings it back to now. Such a time was written by a
     * clock that has since stepped back (NTP correcting a host started ahead, a virtual machine restored from a
     * snapshot, a date set by hand) or by another MX host sharing the greydb whose clock runs ahead. A row lives its
     * lifetime from its time, so left alone it outlived it by the step: a client put on the auto-whitelist by a host
     * started in the wrong year stayed whitelisted for years, and a {@code retryinterval} remembered then kept it
     * suspicious as long. A few seconds or minutes ahead is what hosts whose clocks drift apart write all the time.
     */
    static final Duration AHEAD_TOLERANCE = Duration.ofHours(1);

    /**
     * The tables of the greydb and what has expired in each at {@code judgedAt} (the purge's present, {@link
     * PurgeClock}), times ahead judged by {@code now}: pending triplets older than
     * {@code retryWindow} since their first attempt, passed triplets and auto-whitelist entries unused for
     * {@code lifetime}, hand-made entries past their end, remembered behaviours not shown for {@code retryWindow}.
     */
    static List<ExpiringTable> all(Instant now, Instant judgedAt, Duration retryWindow, Duration lifetime) {
        long nowS = now.getEpochSecond();
        long judgedS = judgedAt.getEpochSecond();
        long pendingBefore = judgedS - retryWindow.getSeconds();
        long usedBefore = judgedS - lifetime.getSeconds();
        return List.of(
                new ExpiringTable("triplet", List.of("client", "sender", "recipient"),
                        List.of("first_seen", "last_seen", "passed_at"), nowS,
                        "(passed_at IS NULL AND first_seen <= ?) OR (passed_at IS NOT NULL AND last_seen <= ?)",
                        pendingBefore, usedBefore),
                new ExpiringTable("whitelist", List.of("client"), List.of("created", "last_seen"), nowS,
                        "(source = 'auto' AND last_seen <= ?) OR (expires IS NOT NULL AND expires <= ?)", usedBefore, judgedS),
                new ExpiringTable("blacklist", List.of("client"), List.of("created"), nowS,
                        "expires IS NOT NULL AND expires <= ?", judgedS),
                new ExpiringTable("client_behaviour", List.of("client", "behaviour"), List.of("last_seen"), nowS,
                        "last_seen <= ?", pendingBefore));
    }

    /** The key columns as a row value: {@code (client, sender, recipient)}. */
    String keyRow() {
        return "(" + String.join(", ", key) + ")";
    }

    /** As many parameters as the key has columns, as a row value: {@code (?, ?, ?)}. */
    String keyParameters() {
        return "(" + String.join(", ", Collections.nCopies(key.size(), "?")) + ")";
    }

    /** An SQL condition on the row, true when one of its times is more than {@link #AHEAD_TOLERANCE} ahead. */
    String ahead() {
        return times.stream().map(c -> c + " > ?").collect(Collectors.joining(" OR "));
    }

    /** The values of {@link #ahead()}'s parameters. */
    long[] aheadArguments() {
        long[] latest = new long[times.size()];
        java.util.Arrays.fill(latest, now + AHEAD_TOLERANCE.getSeconds());
        return latest;
    }

    /** The assignments that bring each time too far ahead back to now: {@code first_seen = CASE WHEN ... END, ...}. */
    String bringBack() {
        return times.stream().map(c -> c + " = CASE WHEN " + c + " > ? THEN ? ELSE " + c + " END")
                .collect(Collectors.joining(", "));
    }

    /** The values of {@link #bringBack()}'s parameters. */
    long[] bringBackArguments() {
        long[] values = new long[times.size() * 2];
        for (int i = 0; i < values.length; i += 2) {
            values[i] = now + AHEAD_TOLERANCE.getSeconds();
            values[i + 1] = now;
        }
        return values;
    }
}
