package org.greylite.greylist;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.greylite.net.Cidr;
import org.greylite.store.GreylistStore;
import org.greylite.store.ListEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The white- and blacklists administrators keep in the greydb (addresses and CIDR blocks), held in
 * memory and re-read every few seconds, so an entry made with greylitectl takes effect at once
 * without a query per RCPT. When a client is in both lists, the more specific block wins, the
 * blacklist on a tie: an administrator can whitelist one host inside a blacklisted network.
 */
final class AdminLists {

    private static final Logger LOG = LoggerFactory.getLogger(AdminLists.class);

    /** What the lists say about a client. */
    enum Listing { NONE, WHITE, BLACK }

    private record Entry(Cidr block, ListEntry row) {
    }

    /** The lists as read at {@code loadedAt}; replaced whole, so readers on other threads need no lock. */
    private record Snapshot(List<Entry> entries, Instant loadedAt) {
    }

    private final GreylistStore store;
    private final Duration refreshEvery;
    private volatile Snapshot snapshot;

    AdminLists(GreylistStore store, Duration refreshEvery) {
        this.store = store;
        this.refreshEvery = refreshEvery;
    }

    /** Called on the decision thread; rereads the lists when due; throws StoreException when they cannot be read. */
    synchronized Listing lookup(InetAddress client, Instant now) {
        Snapshot s = snapshot;
        if (due(s, now)) {
            s = new Snapshot(load(), now);
            snapshot = s;
        }
        return listing(s.entries(), client, now);
    }

    /** From the copy in memory, on any thread without blocking; null when the copy is due for a reread. */
    Listing lookupLoaded(InetAddress client, Instant now) {
        Snapshot s = snapshot;
        return due(s, now) ? null : listing(s.entries(), client, now);
    }

    private boolean due(Snapshot s, Instant now) {
        return s == null || !now.isBefore(s.loadedAt().plus(refreshEvery)) || now.isBefore(s.loadedAt());
    }

    private static Listing listing(List<Entry> entries, InetAddress client, Instant now) {
        int white = -1;
        int black = -1;
        for (Entry e : entries) {
            if (e.row().activeAt(now) && e.block().contains(client)) {
                if (e.row().black()) {
                    black = Math.max(black, e.block().prefix());
                } else {
                    white = Math.max(white, e.block().prefix());
                }
            }
        }
        if (black < 0 && white < 0) {
            return Listing.NONE;
        }
        return black >= white ? Listing.BLACK : Listing.WHITE;
    }

    private List<Entry> load() {
        List<Entry> out = new ArrayList<>();
        for (ListEntry row : store.adminEntries()) {
            try {
                out.add(new Entry(Cidr.parse(row.client()), row));
            } catch (IllegalArgumentException e) {
                LOG.warn("greydb {} entry ignored: {}", row.black() ? "blacklist" : "whitelist", e.getMessage());
            }
        }
        return List.copyOf(out);
    }
}
