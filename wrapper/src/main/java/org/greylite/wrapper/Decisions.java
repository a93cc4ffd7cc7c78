package org.greylite.wrapper;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;

import org.greylite.config.Environment;
import org.greylite.config.SuspicionSetup;
import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.relay.RcptPolicy;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.SqliteGreylistStore;
import org.greylite.store.StoreException;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The RCPT decisions of one wrapper process: the {@link Greylister}, run synchronously (one session,
 * one thread at a time: nothing to gain from another thread), created on the first RCPT that needs it.
 *
 * <p>Nothing is opened at start-up: a session whose RCPTs are all skipped (RELAYCLIENT, WHITELISTED,
 * an authenticated client) never opens the greydb, and the suspicion file is read only when a client
 * that is not on the auto-whitelist needs a decision. Start-up time is what this mode pays for.
 *
 * <p>A greydb that cannot be opened is a store error like any other: logged, and by default the RCPT
 * is accepted (fail open), so a client never sees {@code database is locked} or the like.
 */
final class Decisions implements RcptPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(Decisions.class);

    /** Expired rows are removed at most this often, by the first session to end after the interval. */
    static final Duration PURGE_INTERVAL = org.greylite.settings.Settings.PURGE_INTERVAL.parse(
            org.greylite.settings.Settings.PURGE_INTERVAL.defaultValue());
    /** Attempts at opening the greydb (see {@link #open()}). */
    private static final int OPEN_ATTEMPTS = 5;

    private final GreydbLocation location;
    private final Path dbFile; // the SQLite file, or null for a PostgreSQL greydb
    private final Duration busyTimeout;
    private final GreylistSettings settings;
    private final Path suspicionFile;
    private final Map<String, String> env;
    private final Clock clock;
    private final DecisionListener listener = new DecisionLog();

    private Greylister greylister;
    private GreylistStore store;
    private StoreException openFailure;
    private SuspicionPolicy rules;

    Decisions(GreydbLocation location, Duration busyTimeout, GreylistSettings settings, Path suspicionFile,
              Map<String, String> env, Clock clock) {
        this.location = location;
        this.dbFile = location instanceof GreydbLocation.Sqlite s ? s.file() : null;
        this.busyTimeout = busyTimeout;
        this.settings = settings;
        this.suspicionFile = suspicionFile;
        this.env = env;
        this.clock = clock;
    }

    @Override
    public void decide(RcptRequest request, Consumer<Verdict> done) {
        done.accept(decide(request));
    }

    synchronized Verdict decide(RcptRequest request) {
        if (request.skip() != null) {
            // What the Greylister answers too, without opening the greydb for it.
            Verdict v = Verdict.skipped(settings.clientKeys().keyFor(request.client(), request.facts().ptrName()));
            listener.decided(request, v);
            return v;
        }
        try {
            return greylister().decide(request);
        } catch (StoreException e) {
            return unavailable(request, e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("greylisting failed unexpectedly", e);
            return unavailable(request, e.toString());
        }
    }

    /**
     * Removes expired greydb rows when no process has done so for {@link #PURGE_INTERVAL}: called once the
     * session is over, never on the RCPT path. Only a session that opened the greydb takes part.
     */
    synchronized void purgeIfDue() {
        if (greylister == null || dbFile == null) {
            // With a shared PostgreSQL greydb the purge is left to greylited or to 'greylitectl db purge' from cron.
            return;
        }
        try {
            if (claimPurge()) {
                int n = greylister.purgeExpired();
                if (n > 0) {
                    LOG.info("purge: {} expired greydb row(s) removed", n);
                }
            }
        } catch (StoreException | SQLException e) {
            LOG.warn("purge of {} failed: {}", dbFile, e.getMessage());
        }
    }

    synchronized void close() {
        if (store != null) {
            store.close();
        }
    }

    /**
     * Claims this purge round for this process: greydb_meta's {@code last_purge} (Unix seconds) moves to
     * now only if it is older than the interval, in one statement, so of many processes ending at once
     * exactly one wins. It is read first, without a write lock, so that the other sessions, nearly all
     * of them, do not queue for the lock only to learn that nothing is due. Losing a race for the lock
     * (SQLITE_BUSY) just means another process is writing: the purge is left to a later session.
     */
    private boolean claimPurge() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(250);
        long now = clock.instant().getEpochSecond();
        long due = now - PURGE_INTERVAL.getSeconds();
        try (Connection conn = config.createConnection("jdbc:sqlite:" + dbFile.toAbsolutePath())) {
            try (PreparedStatement read = conn.prepareStatement(
                    "SELECT CAST(value AS INTEGER) FROM greydb_meta WHERE key = 'last_purge'");
                 ResultSet rs = read.executeQuery()) {
                if (rs.next() && rs.getLong(1) > due) {
                    return false;
                }
            }
            try (PreparedStatement claim = conn.prepareStatement(
                    "INSERT INTO greydb_meta (key, value) VALUES ('last_purge', ?) ON CONFLICT (key)"
                            + " DO UPDATE SET value = excluded.value WHERE CAST(greydb_meta.value AS INTEGER) <= ?")) {
                claim.setString(1, Long.toString(now));
                claim.setLong(2, due);
                return claim.executeUpdate() == 1;
            } catch (SQLException e) {
                if (e.getMessage() != null && e.getMessage().contains("SQLITE_BUSY")) {
                    LOG.debug("purge of {} left to another session: {}", dbFile, e.getMessage());
                    return false;
                }
                throw e;
            }
        }
    }

    private Greylister greylister() {
        if (greylister != null) {
            return greylister;
        }
        if (openFailure != null) {
            throw openFailure;
        }
        try {
            store = open();
        } catch (StoreException e) {
            openFailure = e;
            throw e;
        }
        // The rules are read at the first evaluation: an auto-whitelisted client never needs them.
        SuspicionPolicy lazyRules = facts -> rules().evaluate(facts);
        greylister = new Greylister(store, lazyRules, settings, clock, listener, knownSenders());
        return greylister;
    }

    /**
     * Opens the greydb, trying again a few times within about a second. Under tcpserver many processes
     * open the file at once; while a new greydb is being created and switched to WAL, SQLite may fail one
     * of them with a transient I/O error (SQLITE_IOERR_FSTAT was seen with 50 processes on a new file)
     * that the busy timeout does not cover. A lasting failure (permissions, a full disk) still fails
     * within that second, and the RCPT is then decided as a store error (fail open by default).
     */
    /** The known senders (the shipped list and GREYLITE_WHITELIST_FILES); problems are logged, not fatal. */
    private KnownSenders knownSenders() {
        try {
            KnownSenders k = Environment.knownSenders(env);
            k.problems().forEach(p -> LOG.warn("known senders: {}", p));
            return k;
        } catch (IOException e) {
            LOG.error("known senders cannot be read: {}", e.getMessage());
            return KnownSenders.NONE;
        }
    }

    private GreylistStore open() {
        if (dbFile == null) {
            return GreylistStores.open(location, new GreydbOptions(busyTimeout, 1, env));
        }
        StoreException last = null;
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            if (attempt > 0) {
                try {
                    Thread.sleep(50L * attempt + (System.nanoTime() & 31)); // spread the retries
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            try {
                return SqliteGreylistStore.open(dbFile, busyTimeout);
            } catch (StoreException e) {
                last = e;
            } catch (RuntimeException | LinkageError e) {
                // e.g. the SQLite native library cannot be loaded: no use trying again.
                throw new StoreException("greydb " + dbFile + " cannot be opened: " + e, e);
            }
        }
        throw last != null ? last : new StoreException("greydb " + dbFile + " cannot be opened: interrupted");
    }

    private SuspicionPolicy rules() {
        if (rules == null) {
            try {
                rules = SuspicionSetup.load(suspicionFile, env, LOG);
            } catch (IOException e) {
                LOG.error("suspicion file {} cannot be read ({}): every client gets the default (refused once)",
                        suspicionFile, e.getMessage());
                rules = SuspicionPolicy.NONE;
            }
        }
        return rules;
    }

    private Verdict unavailable(RcptRequest request, String why) {
        // The greydb may be a PostgreSQL URL: the location describes either kind (and never holds a password).
        LOG.error("greydb failure ({}), {}: {}", location.describe(),
                settings.failOpen() ? "accepting the RCPT (fail open)" : "answering 451 (fail closed)", why);
        // Keyed as the Greylister keys it, PTR name included, so the log names the same client in both cases.
        String key = settings.clientKeys().keyFor(request.client(), request.facts().ptrName());
        Verdict v = new Verdict(settings.failOpen() ? Verdict.Action.ACCEPT : Verdict.Action.TEMPFAIL,
                Verdict.Reason.STORE_ERROR, key, 0, -1, null, 0);
        listener.decided(request, v);
        return v;
    }
}
