package org.greylite.metrics;

import java.util.List;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The series greylited, greylite-policy and greydaemon all have, made in one place so that they carry one name, one
 * label set and one meaning in the three programs, and one dashboard or alert reads any of them:
 * {@code greylite_store_errors_total{operation}}, {@code greylite_greydb_file_replaced_total} and
 * {@code greylite_reload_failures_total{file}}.
 *
 * <p>The files a program reloads are named when it is built, and each of their series exists at 0 from the start:
 * rate() and increase() need a sample before the first failure, and a label outside that closed set is refused
 * rather than made into a series of its own.
 */
public final class EngineSeries {

    /** The {@code file} label of the suspicion file, which all three programs reload. */
    public static final String SUSPICION_FILE = "suspicion";
    /** The {@code file} label of the known-senders files (the shipped list and the administrator's). */
    public static final String KNOWN_SENDERS_FILES = "known-senders";

    private final Counter storeErrors;
    private final Counter greydbFileReplaced;
    private final Counter reloadFailures;
    private final List<String> reloadedFiles;

    /**
     * @param registry               where the series are registered
     * @param failedDecisionMeans    what a decision the greydb failed gets in this program, for the help text
     * @param reloadedFiles          the {@code file} label of each kind of file the program reloads
     */
    public EngineSeries(PrometheusRegistry registry, String failedDecisionMeans, List<String> reloadedFiles) {
        this.reloadedFiles = List.copyOf(reloadedFiles);
        storeErrors = Counter.builder().name("greylite_store_errors")
                .help("greydb failures, by operation (decision: " + failedDecisionMeans
                        + "; purge: expired rows stay until the next purge)")
                .labelNames("operation").withoutExemplars().register(registry);
        greydbFileReplaced = Counter.builder().name("greylite_greydb_file_replaced")
                .help("Times the SQLite greydb file was found deleted or replaced while in use, and the greydb at its "
                        + "path opened instead (the rows of the old file are lost)")
                .withoutExemplars().register(registry);
        reloadFailures = Counter.builder().name("greylite_reload_failures")
                .help("Reloads that kept what was loaded before (" + String.join(", ", this.reloadedFiles)
                        + "): the file could not be read or has lines that do not load (logged with file and line)")
                .labelNames("file").withoutExemplars().register(registry);
        storeErrors.initLabelValues("decision");
        storeErrors.initLabelValues("purge");
        this.reloadedFiles.forEach(reloadFailures::initLabelValues);
    }

    /** A decision the greydb failed (one per recipient so decided). */
    public void decisionFailed() {
        storeErrors.labelValues("decision").inc();
    }

    /** The scheduled purge of expired rows failed. */
    public void purgeFailed() {
        storeErrors.labelValues("purge").inc();
    }

    /** The greydb file in use was deleted or replaced, and the one at its path opened. */
    public void greydbFileReplaced() {
        greydbFileReplaced.inc();
    }

    /**
     * A reload of {@code file} (one of the labels given at construction) kept what was loaded before.
     *
     * @throws IllegalArgumentException for a file not named at construction: a series born of a typo would never be
     *                                  seen by the alert written for the right name
     */
    public void reloadFailed(String file) {
        if (!reloadedFiles.contains(file)) {
            throw new IllegalArgumentException("no reload_failures series for file '" + file + "'");
        }
        reloadFailures.labelValues(file).inc();
    }

    /** As {@link #reloadFailed}, when {@code reloaded} is false: the form of the reloads that say whether they took. */
    public void countFailure(String file, boolean reloaded) {
        if (!reloaded) {
            reloadFailed(file);
        }
    }
}
