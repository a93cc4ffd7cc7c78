package org.greylite.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * {@link GreydbAdmin} on either greydb, beside the greylited instances using it: each change is one short
 * transaction on a connection of its own (WAL lets SQLite read while greylited writes), and deleting a
 * triplet takes that triplet's lock, so a decision in flight on it finishes before the row goes.
 */
final class SqlGreydbAdmin implements GreydbAdmin {

    private final GreydbDialect dialect;
    private final GreydbSql sql;

    SqlGreydbAdmin(GreydbDialect dialect) {
        this.dialect = dialect;
        this.sql = new GreydbSql(dialect);
    }

    private <T> T read(String what, GreydbDialect.SqlWork<T> work) {
        return dialect.transaction(what, System.nanoTime() + dialect.timeoutNanos(), false, work);
    }

    private <T> T write(String what, GreydbDialect.SqlWork<T> work) {
        return dialect.transaction(what, System.nanoTime() + dialect.timeoutNanos(), true, work);
    }

    @Override
    public List<TripletRow> triplets(TripletFilter filter) {
        List<TripletRow> out = new java.util.ArrayList<>();
        eachTriplet(filter, out::add);
        return out;
    }

    @Override
    public void eachTriplet(TripletFilter filter, java.util.function.Consumer<TripletRow> each) {
        read("cannot list triplets", conn -> {
            sql.triplets(conn, filter, each);
            return null;
        });
    }

    @Override
    public int deleteTriplets(TripletFilter filter) {
        List<TripletRow> doomed = triplets(filter);
        // In transactions of a purge's size, taking turns with the decisions: deleting a quarter of a greydb of a
        // million triplets in one transaction held the write lock 4 s, close to the decisions' busy timeout (5 s;
        // greydaemon's 2 s), past which they fail open.
        int n = 0;
        for (int from = 0; from < doomed.size(); from += ExpiredRowsPurge.CHUNK_ROWS) {
            List<TripletRow> part = doomed.subList(from, Math.min(doomed.size(), from + ExpiredRowsPurge.CHUNK_ROWS));
            long start = System.nanoTime();
            n += write("cannot delete triplets (" + n + " deleted already)", conn -> sql.deleteTriplets(conn, part));
            if (!LockTurns.giveWay(System.nanoTime() - start)) {
                break;
            }
        }
        return n;
    }

    @Override
    public List<WhitelistRow> whitelist(String failure) {
        return read(failure, sql::whitelistRows);
    }

    @Override
    public List<ListEntry> blacklist(String failure) {
        return read(failure, sql::blacklist);
    }

    @Override
    public void putListEntry(ListEntry e) {
        write("cannot add " + e.client() + " to the " + (e.black() ? "blacklist" : "whitelist"), conn -> {
            sql.putListEntry(conn, e);
            return null;
        });
    }

    @Override
    public boolean removeListEntry(boolean black, String client) {
        return write("cannot remove " + client, conn -> sql.removeListEntry(conn, black, client));
    }

    @Override
    public int purgeExpired(Instant now, Duration retryWindow, Duration lifetime) {
        return new ExpiredRowsPurge(dialect, sql).run(now, retryWindow, lifetime);
    }

    @Override
    public Stats stats(Instant now, Duration retryWindow, Duration lifetime) {
        return read("cannot compute statistics", conn -> sql.stats(conn, now, retryWindow, lifetime));
    }

    @Override
    public PageCheck checkPages(int limit) {
        return dialect.checkPages(limit);
    }

    @Override
    public GreydbLifetimes recordedLifetimes() {
        return read("cannot read the recorded lifetimes", sql::lifetimes);
    }

    @Override
    public String describe() {
        return dialect.describe();
    }

    @Override
    public java.time.Clock sharedClock(java.time.Clock hostClock) {
        return dialect.sharedClock(hostClock);
    }

    @Override
    public void close() {
        dialect.close();
    }
}
