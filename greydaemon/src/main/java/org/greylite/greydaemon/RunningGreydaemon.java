package org.greylite.greydaemon;

import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.greylite.config.GreydbFileCheck;
import org.greylite.config.TimerTasks;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.metrics.EngineSeries;
import org.greylite.metrics.MetricsEndpoint;
import org.greylite.store.GreylistStore;
import org.greylite.suspicion.ReloadingSuspicionPolicy;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;

/**
 * A started greydaemon: the UDP service, and beside it what greylited and greylite-policy also run: the look at
 * the greydb file every {@link GreydbFileCheck#INTERVAL_SECONDS} (a file deleted or replaced under the daemon is
 * recreated and used, with an ERROR line and a metric) and the metrics endpoint, when asked for.
 */
final class RunningGreydaemon implements AutoCloseable {

    private final UdpService service;
    private final SuspicionPolicy rules;
    private final WhitelistRangesFile ranges;
    private final KnownSendersFiles known;
    private final EngineSeries series;
    private final Logger log;
    private final ScheduledExecutorService fileCheck;
    private final MetricsEndpoint metricsEndpoint; // null: no GREYLITE_METRICS

    /**
     * @param rules        the suspicion rules the decisions use (read again by {@link #reload}, as are {@code ranges}
     *                     and {@code known})
     * @param checkpointer the SQLite greydb's background checkpoints, or null
     */
    RunningGreydaemon(UdpService service, SuspicionPolicy rules, WhitelistRangesFile ranges, KnownSendersFiles known,
                      GreylistStore store, GreydaemonMetrics metrics, MetricsEndpoint metricsEndpoint,
                      WalCheckpointer checkpointer, Logger log) {
        this.service = service;
        this.rules = rules;
        this.ranges = ranges;
        this.known = known;
        this.series = metrics.engine();
        this.log = log;
        this.metricsEndpoint = metricsEndpoint;
        // A thread of its own rather than the UDP thread's turn: the store's methods take turns (SQLite's are
        // synchronized), so the one stat runs between two decisions, as the purge does.
        this.fileCheck = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "greydb-file-check");
            t.setDaemon(true);
            return t;
        });
        GreydbFileCheck check = new GreydbFileCheck(store, series::greydbFileReplaced, log);
        // The checkpoint connection lets go of a file that went before the store makes the new one at the path.
        Runnable beforeCheck = checkpointer == null ? () -> { } : checkpointer::dropIfStale;
        fileCheck.scheduleWithFixedDelay(TimerTasks.outliving("the greydb file check", log, () -> {
            try {
                beforeCheck.run();
            } catch (RuntimeException e) {
                log.warn("greydb checkpoint connection: {}", e.toString()); // the file check still runs
            }
            check.run();
        }), GreydbFileCheck.INTERVAL_SECONDS, GreydbFileCheck.INTERVAL_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * SIGHUP ({@code svc -h}, {@code kill -HUP}): the suspicion file read now, changed or not, with the GeoIP
     * database its {@code g} lines use, as greylited and greylite-policy do; then the {@code -w} ranges and the
     * known senders ({@code GREYLITE_WHITELIST_FILES}). A file with lines that do not load leaves what was loaded
     * before in force (the reasons are logged). greydaemon read its {@code -w} file at start only: an administrator
     * who added a relay had to restart it, and qmail-smtpd's requests of that moment went unanswered. Listening on a
     * wildcard, the host's addresses are scanned too.
     */
    void reload() {
        service.scanAddresses(); // on a wildcard: an address added or removed is followed now
        if (rules instanceof ReloadingSuspicionPolicy followed) {
            log.info("SIGHUP: reloading the suspicion file");
            followed.reload();
        } else {
            log.info("SIGHUP: no suspicion file to reload");
        }
        series.countFailure(GreydaemonMetrics.WHITELIST_RANGES_FILE, ranges.reload(log));
        series.countFailure(EngineSeries.KNOWN_SENDERS_FILES, known.reload(log));
    }

    InetSocketAddress localAddress() {
        return service.localAddress();
    }

    /** The port metrics are served on, or -1 without GREYLITE_METRICS. */
    int metricsPort() {
        return metricsEndpoint == null ? -1 : metricsEndpoint.port();
    }

    void awaitClosed() throws InterruptedException {
        service.awaitClosed();
    }

    /** Stops the file check first, so that it never looks at a greydb being closed, then the service. */
    @Override
    public void close() {
        fileCheck.shutdownNow();
        try {
            fileCheck.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        service.close();
        if (metricsEndpoint != null) {
            metricsEndpoint.close();
        }
    }
}
