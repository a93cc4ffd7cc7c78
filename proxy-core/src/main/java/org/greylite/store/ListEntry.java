package org.greylite.store;

import java.time.Instant;

/**
 * A white- or blacklist entry an administrator made.
 *
 * @param client  the address or CIDR block, as written in the greydb
 * @param black   true for the blacklist (554), false for the whitelist
 * @param created when it was added
 * @param expires when it ends, or null for never
 * @param comment why, or null
 */
public record ListEntry(String client, boolean black, Instant created, Instant expires, String comment) {

    public boolean activeAt(Instant now) {
        return expires == null || expires.isAfter(now);
    }
}
