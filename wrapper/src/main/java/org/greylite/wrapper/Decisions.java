package org.greylite.wrapper;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.greylite.config.KnownSendersEnvironment;
import org.greylite.config.FileErrors;
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
import org.greylite.store.GreyliteImportRules;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoreException;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private final Supplier<KnownSenders> knownSenders;

    private Greylister greylister;
    private GreylistStore store;
    private long openedNanos = System.nanoTime(); // when the greydb was opened (until then, made): see decide
    private SuspicionPolicy rules;

    Decisions(GreydbLocation location, Duration busyTimeout, GreylistSettings settings, Path suspicionFile,
              Map<String, String> env, Clock clock) {
        this(location, busyTimeout, settings, suspicionFile, env, clock, () -> knownSenders(env));
    }

    /** @param knownSenders read when the engine is made, after the greydb was opened for it */
    Decisions(GreydbLocation location, Duration busyTimeout, GreylistSettings settings, Path suspicionFile,
              Map<String, String> env, Clock clock, Supplier<KnownSenders> knownSenders) {
        this.knownSenders = knownSenders;
        this.location = location;
        this.dbFile = location instanceof GreydbLocation.Sqlite s ? s.file() : null;
        this.busyTimeout = busyTimeout;
        this.settings = settings;
        this.suspicionFile = suspicionFile;
        this.env = env;
        this.clock = clock;
    }

    @Override
    public void decide(RcptRequest request, long askedNanos, Consumer<Verdict> done) {
        done.accept(decide(request, askedNanos));
    }

    @Override
    public void screen(RcptRequest request, Consumer<Verdict> done) {
        done.accept(screen(request));
    }

    /** What the engine answers before the triplet (GREYLITE_RCPT_ORDER=upstream-first); null: ask the upstream. */
    synchronized Verdict screen(RcptRequest request) {
        Greylister engine = null;
        try {
            engine = greylister == null && request.skip() != null ? notOpened() : greylister();
            return engine.screen(request);
        } catch (RuntimeException | Error e) {
            return failed(engine, request, e);
        }
    }

    /** The engine's blocking call, as every front door makes it; the greydb is opened at the first need. */
    synchronized Verdict decide(RcptRequest request) {
        return decide(request, System.nanoTime());
    }

    /**
     * {@link #decide(RcptRequest)} for a RCPT the client sent at {@code askedNanos}: pipelined RCPTs wait for a
     * locked greydb no longer than the busy timeout from then, together, not one busy timeout after another.
     */
    synchronized Verdict decide(RcptRequest request, long askedNanos) {
        // A skipped RCPT never touches the greydb: until one needs it, an engine over none answers, and a
        // session of relay clients never pays for opening it.
        Greylister engine = null;
        try {
            engine = greylister == null && request.skip() != null ? notOpened() : greylister();
            // Opening the greydb has waits of its own, each bounded by the busy timeout (a PostgreSQL server taking
            // the connection, another host's schema change): a RCPT asked before it was open waits from the
            // opening's end, or an opening longer than the busy timeout left the decision no time, and the mail
            // passed ungreylisted though the greydb was open and free.
            return engine.decide(request, openedNanos - askedNanos > 0 ? openedNanos : askedNanos);
        } catch (RuntimeException | Error e) {
            return failed(engine, request, e);
        }
    }

    /**
     * A decision that failed in a way nothing foresaw is answered as a greydb failure (fail open, or 451 4.3.0 with
     * GREYLITE_FAIL_CLOSED), and the session goes on. Errors too, out of memory included: this process serves this
     * one session, and an Error let through ended the thread that reads the client, whose RCPT then waited for a
     * reply until the session deadline. (A suspicion file at /dev/zero, read whole into the 64 MB heap, did so.)
     * The engine may be the failure itself, when making it failed: then one over no greydb answers.
     */
    private Verdict failed(Greylister engine, RcptRequest request, Throwable e) {
        LOG.error("greylisting failed unexpectedly", e);
        return (engine != null ? engine : notOpened()).unavailable(request, e.toString());
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
            int n = greylister.purgeIfDue(PURGE_INTERVAL);
            if (n > 0) {
                LOG.info("purge: {} expired greydb row(s) removed", n);
            }
        } catch (StoreException e) {
            LOG.warn("purge of {} failed: {}", dbFile, e.getMessage());
        }
    }

    synchronized void close() {
        if (store != null) {
            store.close();
        }
    }

    /**
     * The engine, made at the first RCPT that needs the greydb. A greydb that cannot be opened gives an
     * engine over a store that fails: the RCPTs get the answer of any greydb failure (fail open by default).
     */
    private Greylister greylister() {
        if (greylister != null) {
            return greylister;
        }
        GreylistStore opened;
        try {
            opened = open();
        } catch (StoreException e) {
            // The greydb may be a PostgreSQL URL: the location describes either kind (and never holds a password).
            opened = GreylistStores.unavailable(location.describe(), e);
        }
        // The opening ends here. The engine's start that follows writes its lifetimes for greylitectl when the greydb
        // holds another program's: a courtesy, counted in the RCPT's busy timeout like its own wait. Counted from
        // after it, a greydb locked by another process kept the RCPT two busy timeouts, the write's and its own.
        long openEnded = System.nanoTime();
        try {
            // The rules are read at the first evaluation, before the greydb transaction: a skipped RCPT never needs them.
            SuspicionPolicy lazyRules = facts -> rules().evaluate(facts);
            greylister = new Greylister(opened, lazyRules, settings, clock, listener, knownSenders.get());
        } catch (RuntimeException | Error e) {
            // The next RCPT opens the greydb again: left open, each RCPT of the session would hold one more
            // connection (file handles, a PostgreSQL session) until the process ends.
            closeQuietly(opened, e);
            throw e;
        }
        store = opened;
        openedNanos = openEnded;
        return greylister;
    }

    private static void closeQuietly(GreylistStore opened, Throwable cause) {
        try {
            opened.close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private Greylister notOpened() {
        StoreException never = new StoreException(location.describe() + ": not opened for a skipped RCPT");
        return new Greylister(GreylistStores.unavailable(location.describe(), never), SuspicionPolicy.NONE, settings,
                clock, listener);
    }

    /**
     * The known senders (the shipped list unless GREYLITE_NO_SHIPPED_WHITELIST, and GREYLITE_WHITELIST_FILES); problems
     * are logged, not fatal.
     */
    private static KnownSenders knownSenders(Map<String, String> env) {
        try {
            KnownSenders k = KnownSendersEnvironment.knownSenders(env);
            // Errors: a line left out of the administrator's file is not done, and the default threshold shows errors only.
            k.problems().forEach(p -> LOG.error("known senders: {}", p));
            return k;
        } catch (IOException | IllegalArgumentException e) {
            // IllegalArgumentException: a file of GREYLITE_WHITELIST_FILES that cannot be read, said with its reason
            LOG.error("known senders not loaded: {}", e.getMessage());
            return KnownSenders.NONE;
        }
    }

    /**
     * Opens the greydb, trying again a few times within about a second. Under tcpserver many processes
     * open the file at once; while a new greydb is being created and switched to WAL, SQLite may fail one
     * of them with a transient I/O error (SQLITE_IOERR_FSTAT was seen with 50 processes on a new file)
     * that the busy timeout does not cover. A lasting failure (permissions, a full disk) still fails
     * within that second, and the RCPT is then decided as a store error (fail open by default). No attempt starts
     * once the busy timeout has gone by: a greydb another process keeps locked against readers too (sqlite3 in
     * exclusive locking mode) made each attempt wait the whole busy timeout, and the RCPT was answered after five.
     */
    private GreylistStore open() {
        if (dbFile == null) {
            return GreylistStores.open(location, new GreydbOptions(busyTimeout, 1, env)
                    .withGreyliteImport(new GreyliteImportRules(settings, clock)));
        }
        StoreException last = null;
        long started = System.nanoTime();
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            if (attempt > 0 && System.nanoTime() - started >= busyTimeout.toNanos()) {
                break;
            }
            if (attempt > 0) {
                try {
                    Thread.sleep(50L * attempt + (System.nanoTime() & 31)); // spread the retries
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            try {
                return GreylistStores.sqlite(dbFile, busyTimeout, new GreyliteImportRules(settings, clock));
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
                        suspicionFile, FileErrors.describe(suspicionFile, e));
                rules = SuspicionPolicy.NONE;
            }
        }
        return rules;
    }
}
