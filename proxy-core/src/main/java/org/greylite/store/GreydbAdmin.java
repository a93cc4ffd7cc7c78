package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What administrators do to a greydb (greylitectl db ...), safe while greylited is running and
 * writing: every change is one short transaction.
 */
public interface GreydbAdmin extends AutoCloseable {

    /** A triplet and its state. */
    record TripletRow(TripletKey key, Triplet state) {
    }

    /** A whitelist entry, earned ("auto") or made by hand ("admin"). */
    record WhitelistRow(String client, String source, Instant created, Instant lastSeen, Instant expires, String comment) {
    }

    /** Counts and timings for {@code greylitectl db stats}. */
    record Stats(long pending, long passed, long whitelistAuto, long whitelistAdmin, long blacklist,
                 Duration medianTimeToPass, Duration p95TimeToPass, List<NetworkRefusals> topRefused) {

        /** Passed triplets among all triplets held: how much of what was greylisted came back. */
        public double passRate() {
            long all = pending + passed;
            return all == 0 ? 0 : (double) passed / all;
        }
    }

    /** Refused attempts counted for one client network (/24 or /64). */
    record NetworkRefusals(String network, long refusals) {
    }

    List<TripletRow> triplets(TripletFilter filter);

    /**
     * Hands each triplet {@code filter} matches to {@code each}, oldest first (and within a second by client, as
     * {@link org.greylite.greylist.ClientKeyOrder} orders them, sender and recipient), as it is read: the rows are never all
     * in memory. All of them are read in one read transaction, so {@code each} should be quick (write the row to a
     * file, not to a reader who may stop reading): a long transaction keeps an SQLite greydb's log from being reset.
     */
    void eachTriplet(TripletFilter filter, java.util.function.Consumer<TripletRow> each);

    /** Deletes the matching triplets (the next attempt starts over); returns how many. */
    int deleteTriplets(TripletFilter filter);

    /** The hand-made entries, then the earned ones, each in {@link org.greylite.greylist.ClientKeyOrder}. */
    default List<WhitelistRow> whitelist() {
        return whitelist("cannot list the whitelist");
    }

    /**
     * As {@link #whitelist()}, read for another command's sake: {@code failure} is what its error says
     * ({@code cannot add 192.0.2.0/24 to the whitelist}), not "cannot list", which no one asked to do.
     */
    List<WhitelistRow> whitelist(String failure);

    /** In {@link org.greylite.greylist.ClientKeyOrder}. */
    default List<ListEntry> blacklist() {
        return blacklist("cannot list the blacklist");
    }

    /** As {@link #blacklist()}, read for another command's sake (see {@link #whitelist(String)}). */
    List<ListEntry> blacklist(String failure);

    /** Adds or replaces an entry by hand; {@code client} is an address or CIDR block in canonical form. */
    void putListEntry(ListEntry entry);

    /** Removes a hand-made entry (or, on the whitelist, an earned one too); false if there was none. */
    boolean removeListEntry(boolean black, String client);

    /** Removes expired rows now; returns how many. */
    int purgeExpired(Instant now, Duration retryWindow, Duration lifetime);

    Stats stats(Instant now, Duration retryWindow, Duration lifetime);

    /**
     * The database's own check of every page of the greydb, at most {@code limit} problems; null where the
     * database offers none (PostgreSQL).
     */
    PageCheck checkPages(int limit);

    /**
     * What the database's own check of every page found.
     *
     * @param problems the lines it wrote, at most the limit asked; empty when the greydb is whole
     * @param advice   what to do about a greydb with problems
     */
    record PageCheck(List<String> problems, String advice) {
    }

    /** The lifetimes the last engine started on this greydb recorded; null for each it did not. */
    GreydbLifetimes recordedLifetimes();

    String describe();

    /** The clock of the greydb's times, from this host's: see {@link GreylistStore#sharedClock}. */
    default java.time.Clock sharedClock(java.time.Clock hostClock) {
        return hostClock;
    }

    @Override
    void close();
}
