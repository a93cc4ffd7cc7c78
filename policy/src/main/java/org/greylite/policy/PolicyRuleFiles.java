package org.greylite.policy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.greylite.config.TimerTasks;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.metrics.EngineSeries;
import org.greylite.suspicion.ReloadingSuspicionPolicy;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;

/**
 * The rule files a running greylite-policy follows, as greylited follows its own: the suspicion file, read again
 * when it changes (a timer of its own, never a decision) and on SIGHUP; postgrey's whitelist files and the known
 * senders ({@code --whitelist-file}), read again on SIGHUP, as postgrey reads its whitelists. Whatever is read last
 * that loads stays in force: a suspicion file with a bad line keeps its earlier rules
 * ({@link org.greylite.files.FollowedFile}), and so do the whitelists and the known senders
 * ({@link KnownSendersFiles}) when a file cannot be read or has a line that does not load. Dropping only the bad
 * line was rejected for the whitelists too: a client silently greylisted again, or a spam trap silently let through,
 * is a change nobody asked for.
 *
 * <p>A whitelist file that does not exist is not one that cannot be read: it is read as empty, with a warning
 * naming it (none for a {@code *.local} file, nor for postgrey's own files when none is named; see
 * {@link WhitelistFile}), at the start and at each SIGHUP, as postgrey reads it. Debian's postgrey configuration
 * names files an administrator may never have made; refusing to start for one stopped a migration for nothing.
 * A file that exists but cannot be read (permissions, a directory) still stops the start: that is a mistake to
 * fix, not a list the administrator left empty.
 */
final class PolicyRuleFiles implements Supplier<PostgreyWhitelists>, AutoCloseable {

    private final SuspicionPolicy rules;
    private final KnownSendersFiles known;
    private final List<WhitelistFile> clientFiles;
    private final List<WhitelistFile> recipientFiles;
    private final EngineSeries series;
    private final Logger log;
    private final ScheduledExecutorService follower; // null: no suspicion file to follow
    private volatile PostgreyWhitelists whitelists;

    /**
     * Reads the whitelists (a line that does not load is left out with a warning: at start there is nothing
     * earlier to keep) and starts following the suspicion file.
     *
     * @throws IOException naming the file, when a whitelist exists but cannot be read
     */
    PolicyRuleFiles(SuspicionPolicy rules, KnownSendersFiles known, List<WhitelistFile> clientFiles,
                    List<WhitelistFile> recipientFiles, EngineSeries series, Logger log) throws IOException {
        this.rules = rules;
        this.known = known;
        this.clientFiles = List.copyOf(clientFiles);
        this.recipientFiles = List.copyOf(recipientFiles);
        this.series = series;
        this.log = log;
        this.whitelists = PostgreyWhitelists.load(clientFiles, recipientFiles, p -> log.warn("whitelist: {}", p),
                m -> log.warn("whitelist: {}", m));
        log.info("postgrey whitelists: {} line(s) from {} {}", whitelists.size(), clientFiles, recipientFiles);
        if (rules instanceof ReloadingSuspicionPolicy followed) {
            follower = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "greylite-policy-files");
                t.setDaemon(true);
                return t;
            });
            follower.scheduleWithFixedDelay(TimerTasks.outliving("the look at the suspicion file", log,
                    followed::checkForChanges), ReloadingSuspicionPolicy.CHECK_INTERVAL_MILLIS,
                    ReloadingSuspicionPolicy.CHECK_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            follower = null;
        }
    }

    /** The whitelists in force. */
    @Override
    public PostgreyWhitelists get() {
        return whitelists;
    }

    /**
     * SIGHUP: the suspicion file, the known senders and the whitelists, read again; each keeps what is in force if it
     * does not load.
     */
    void reload() {
        log.info("SIGHUP: reloading the rule files");
        if (rules instanceof ReloadingSuspicionPolicy followed) {
            followed.reload();
        }
        series.countFailure(EngineSeries.KNOWN_SENDERS_FILES, known.reload(log));
        List<String> problems = new ArrayList<>();
        PostgreyWhitelists read;
        try {
            read = PostgreyWhitelists.load(clientFiles, recipientFiles, problems::add,
                    m -> log.warn("SIGHUP: whitelist: {}", m));
        } catch (IOException e) {
            log.error("SIGHUP: {}; the whitelists loaded before stay in force", e.getMessage());
            series.reloadFailed(PolicyMetrics.WHITELIST_FILES);
            return;
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> log.error("SIGHUP: whitelist: {}", p));
            log.error("SIGHUP: the postgrey whitelists have {} line(s) that do not load; the {} line(s) loaded before "
                    + "stay in force until they are fixed", problems.size(), whitelists.size());
            series.reloadFailed(PolicyMetrics.WHITELIST_FILES);
            return;
        }
        whitelists = read;
        log.info("SIGHUP: postgrey whitelists: {} line(s) from {} {}", read.size(), clientFiles, recipientFiles);
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.shutdownNow();
        }
    }
}
