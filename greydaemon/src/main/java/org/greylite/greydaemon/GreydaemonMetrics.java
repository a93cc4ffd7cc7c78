package org.greylite.greydaemon;

import java.util.Locale;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * greydaemon's Prometheus metrics, served at {@code /metrics} when {@code GREYLITE_METRICS=HOST:PORT} is set
 * (greydaemon's command line is its own, so the address comes from the greylite environment, as the other
 * settings greydaemon never had). What greylited and greylite-policy also count carries their names
 * ({@code greylite_store_errors_total}, {@code greylite_greydb_file_replaced_total}), so one dashboard reads all
 * three; what only greydaemon has is named {@code greylite_greydaemon_...}. Labels come from closed sets: no
 * client address is ever a label (the decision log has them).
 */
final class GreydaemonMetrics implements DecisionListener {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter answers;
    private final Counter malformed;
    private final Counter undecided;
    private final Counter storeErrors;
    private final Counter greydbFileReplaced;

    GreydaemonMetrics() {
        answers = Counter.builder().name("greylite_greydaemon_answers")
                .help("Requests answered, by greydaemon's answer code (1,1 whitelisted range, 1,2 known address, "
                        + "1,3 passed, 1,4 VERP bounce, 0,1 new, 0,2 too soon, 0,3 stale) and its meaning")
                .labelNames("code", "answer").withoutExemplars().register(registry);
        malformed = Counter.builder().name("greylite_greydaemon_malformed_requests")
                .help("Datagrams that are no greydaemon request, left unanswered (the client times out and accepts)")
                .withoutExemplars().register(registry);
        undecided = Counter.builder().name("greylite_greydaemon_unanswered_requests")
                .help("Requests left unanswered because deciding them failed (the client times out and accepts)")
                .withoutExemplars().register(registry);
        storeErrors = Counter.builder().name("greylite_store_errors")
                .help("greydb failures, by operation (decision: the recipient is let in, or with "
                        + "GREYLITE_FAIL_CLOSED refused as too soon; purge: expired rows stay until the next purge)")
                .labelNames("operation").withoutExemplars().register(registry);
        greydbFileReplaced = Counter.builder().name("greylite_greydb_file_replaced")
                .help("Times the SQLite greydb file was found deleted or replaced while in use, and the greydb at its "
                        + "path opened instead (the rows of the old file are lost)")
                .withoutExemplars().register(registry);
        for (Answer a : Answer.values()) {
            answers.initLabelValues(a.toString(), label(a));
        }
        storeErrors.initLabelValues("decision");
        storeErrors.initLabelValues("purge");
    }

    private static String label(Answer a) {
        return a.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    void answered(Answer a) {
        answers.labelValues(a.toString(), label(a)).inc();
    }

    void malformed() {
        malformed.inc();
    }

    void undecided() {
        undecided.inc();
    }

    /**
     * Counts each recipient a greydb failure decided, as greylited and greylite-policy count theirs under the same
     * name (one per RCPT), so that one dashboard reads the three alike. Counting a failed batch once, as before,
     * said 2 where the decision log showed 5 recipients let in.
     */
    @Override
    public void decided(RcptRequest request, Verdict verdict) {
        if (verdict.reason() == Verdict.Reason.STORE_ERROR) {
            storeErrors.labelValues("decision").inc();
        }
    }

    void purgeFailed() {
        storeErrors.labelValues("purge").inc();
    }

    void greydbFileReplaced() {
        greydbFileReplaced.inc();
    }

    /** The registry the metrics endpoint serves. */
    PrometheusRegistry registry() {
        return registry;
    }
}
