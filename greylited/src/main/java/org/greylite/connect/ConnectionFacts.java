package org.greylite.connect;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.greylite.greylist.SessionFacts;

/**
 * The facts the connection stage gathers about a client, as one future: what the access rules said
 * (known at once), and what its lookups find in the background (the confirmed PTR name, a DNS whitelist
 * listing). The facts are complete when both lookups are done; a lookup that fails counts as finding
 * nothing (no name, not listed), as it would without the lookup. Nothing here blocks a thread.
 */
public final class ConnectionFacts {

    private ConnectionFacts() {
    }

    /**
     * @param known   the address and the access rules' variables
     * @param ptrName the PTR lookup in flight, or null when names are not looked up
     * @param dnswl   the DNS whitelist lookup in flight, or null when none is configured
     */
    public static CompletableFuture<SessionFacts> gather(SessionFacts known, CompletableFuture<String> ptrName,
                                                         CompletableFuture<Optional<String>> dnswl) {
        CompletableFuture<String> name = ptrName == null ? CompletableFuture.completedFuture("")
                : ptrName.handle((n, failure) -> n == null ? "" : n);
        CompletableFuture<Optional<String>> listing = dnswl == null ? CompletableFuture.completedFuture(Optional.empty())
                : dnswl.handle((zone, failure) -> zone == null ? Optional.empty() : zone);
        return name.thenCombine(listing, (n, zone) -> known.withPtrName(n).withDnswlZone(zone.orElse(null)));
    }
}
