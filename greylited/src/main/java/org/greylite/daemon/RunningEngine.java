package org.greylite.daemon;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.greylite.config.GreydbFileCheck;
import org.greylite.config.TimerTasks;
import org.greylite.connect.ReloadingAccessRules;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.metrics.EngineSeries;
import org.greylite.relay.ExecutorRcptPolicy;
import org.greylite.relay.RcptPolicy;
import org.greylite.store.GreylistStore;
import org.greylite.store.StoreException;
import org.greylite.suspicion.ReloadingSuspicionPolicy;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;

/**
 * The decision engine of a running greylited and what keeps it current: the greydb and the thread(s) that own
 * it, the timers that purge it and check its file, the timer that follows the suspicion and access files, and
 * what SIGHUP reads again. {@link Greylited} reads the settings and builds the server; this class runs the
 * engine the server asks.
 */
final class RunningEngine implements AutoCloseable {

    private final GreylistStore store;
    private final Greylister greylister;
    private final ScheduledExecutorService greydb;
    private final ScheduledExecutorService purges;
    private final SuspicionPolicy rules;
    private final ReloadingAccessRules accessRules; // null: no access file
    private final KnownSendersFiles known;
    private final EngineSeries series;
    private final Logger log;

    /**
     * Starts the engine over {@code store}, with its purge every {@code purgeInterval}.
     *
     * @param accessRules the access file followed, or null
     */
    RunningEngine(GreylistStore store, SuspicionPolicy rules, ReloadingAccessRules accessRules, GreylistSettings settings,
                  KnownSendersFiles known, ProxyMetrics metrics, Duration purgeInterval, Logger log) {
        this.store = store;
        this.known = known;
        this.series = metrics.engine();
        this.rules = rules;
        this.accessRules = accessRules;
        this.log = log;
        this.greylister = new Greylister(store, rules, settings, Clock.systemUTC(), new DecisionLog().andThen(metrics),
                known, "451");
        // SQLite: one thread decides on the connection. PostgreSQL: one thread per pooled connection; the store
        // makes concurrent decisions on one triplet take turns.
        this.greydb = store.parallelism() > 1
                ? Executors.newScheduledThreadPool(store.parallelism(), ProxyServer.daemonThreads("greydb"))
                : Executors.newSingleThreadScheduledExecutor(ProxyServer.daemonThreads("greydb"));
        // The purge has a thread of its own: on a large greydb it takes seconds, in short transactions that the
        // decisions come between (the store's lock on the SQLite connection). On the deciding thread it held every
        // RCPT queued behind it past the busy timeout, and the mail passed ungreylisted.
        this.purges = Executors.newSingleThreadScheduledExecutor(ProxyServer.daemonThreads("greydb-purge"));
        followFiles();
        long purgeSeconds = purgeInterval.getSeconds();
        purges.scheduleWithFixedDelay(TimerTasks.outliving("the greydb purge", log, this::purge),
                purgeSeconds, purgeSeconds, TimeUnit.SECONDS);
        greydb.scheduleWithFixedDelay(TimerTasks.outliving("the greydb file check", log,
                new GreydbFileCheck(store, series::greydbFileReplaced, log)), GreydbFileCheck.INTERVAL_SECONDS,
                GreydbFileCheck.INTERVAL_SECONDS, TimeUnit.SECONDS);
    }

    /** The RCPT policy of the network threads: answers from memory on their thread, else on the greydb's. */
    RcptPolicy policy(ProxyMetrics metrics) {
        return metrics.timed(new ExecutorRcptPolicy(greylister, greydb));
    }

    /**
     * SIGHUP: read the rule files again (suspicion, access, known senders), the GeoIP database and the TLS
     * certificate. Sessions go on; each RCPT uses the rules in force when it is decided, each new session the
     * certificate in force when it starts.
     *
     * @param certificate greylited's TLS certificate, or null
     */
    void reload(ServerCertificate certificate) {
        if (!(rules instanceof ReloadingSuspicionPolicy) && accessRules == null && known.files().isEmpty()
                && certificate == null) {
            log.info("SIGHUP: no suspicion file, access file, known-senders file or certificate to reload");
            return;
        }
        log.info("SIGHUP: reloading the rule files{}", certificate != null ? " and the TLS certificate" : "");
        if (rules instanceof ReloadingSuspicionPolicy suspicionRules) {
            suspicionRules.reload();
        }
        if (accessRules != null) {
            accessRules.reload();
        }
        series.countFailure(EngineSeries.KNOWN_SENDERS_FILES, known.reload(log));
        if (certificate != null) {
            series.countFailure(ProxyMetrics.TLS_CERTIFICATE, certificate.reload(log));
        }
    }

    /** Puts new greylisting settings in force from the next decision on (the configuration file read at SIGHUP). */
    void applySettings(GreylistSettings next) {
        greylister.applySettings(next);
    }

    /** Where the greydb is, for the log. */
    String describe() {
        return store.describe();
    }

    /** Lets the decisions under way finish (5 s at most), then closes the greydb. */
    @Override
    public void close() {
        purges.shutdownNow(); // a purge under way stops after its transaction: the next round finishes it
        greydb.shutdown();
        try {
            purges.awaitTermination(5, TimeUnit.SECONDS);
            greydb.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }

    /**
     * The suspicion and access files are looked at by a timer of their own, never by a decision or a connection:
     * those paths stay pure and in memory, and a slow disk or a large file delays no client.
     */
    private void followFiles() {
        if (!(rules instanceof ReloadingSuspicionPolicy) && accessRules == null) {
            return;
        }
        ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(
                ProxyServer.daemonThreads("greylited-files"));
        // The rules in force stay when a look fails; the next look tries again.
        watcher.scheduleWithFixedDelay(TimerTasks.outliving("the look at the suspicion and access files", log, () -> {
            if (rules instanceof ReloadingSuspicionPolicy followed) {
                followed.checkForChanges();
            }
            if (accessRules != null) {
                accessRules.checkForChanges();
            }
        }), ReloadingSuspicionPolicy.CHECK_INTERVAL_MILLIS, ReloadingSuspicionPolicy.CHECK_INTERVAL_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    private void purge() {
        try {
            int n = greylister.purgeExpired();
            if (n > 0) {
                log.info("purge: {} expired greydb row(s) removed", n);
            }
        } catch (StoreException e) {
            series.purgeFailed();
            log.error("purge failed: {}", e.getMessage());
        }
    }
}
