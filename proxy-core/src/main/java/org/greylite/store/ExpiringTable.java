package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A greydb table whose rows expire, as the purge walks it: its primary key columns (the order it is walked in)
 * and the condition under which a row has expired, with that condition's parameters.
 *
 * @param name      the table
 * @param key       its primary key columns, all text
 * @param expired   an SQL condition on the row, true when it has expired
 * @param arguments the values of the condition's parameters, Unix seconds
 */
record ExpiringTable(String name, List<String> key, String expired, long... arguments) {

    /**
     * The tables of the greydb and what has expired in each at {@code now}: pending triplets older than
     * {@code retryWindow} since their first attempt, passed triplets and auto-whitelist entries unused for
     * {@code lifetime}, hand-made entries past their end, remembered behaviours not shown for {@code retryWindow}.
     */
    static List<ExpiringTable> all(Instant now, Duration retryWindow, Duration lifetime) {
        long nowS = now.getEpochSecond();
        long pendingBefore = nowS - retryWindow.getSeconds();
        long usedBefore = nowS - lifetime.getSeconds();
        return List.of(
                new ExpiringTable("triplet", List.of("client", "sender", "recipient"),
                        "(passed_at IS NULL AND first_seen <= ?) OR (passed_at IS NOT NULL AND last_seen <= ?)",
                        pendingBefore, usedBefore),
                new ExpiringTable("whitelist", List.of("client"),
                        "(source = 'auto' AND last_seen <= ?) OR (expires IS NOT NULL AND expires <= ?)", usedBefore, nowS),
                new ExpiringTable("blacklist", List.of("client"), "expires IS NOT NULL AND expires <= ?", nowS),
                new ExpiringTable("client_behaviour", List.of("client", "behaviour"), "last_seen <= ?", pendingBefore));
    }

    /** The key columns as a row value: {@code (client, sender, recipient)}. */
    String keyRow() {
        return "(" + String.join(", ", key) + ")";
    }

    /** As many parameters as the key has columns, as a row value: {@code (?, ?, ?)}. */
    String keyParameters() {
        return "(" + String.join(", ", java.util.Collections.nCopies(key.size(), "?")) + ")";
    }
}
