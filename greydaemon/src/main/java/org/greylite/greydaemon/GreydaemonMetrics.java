package org.greylite.greydaemon;

import java.util.List;
import java.util.Locale;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.metrics.EngineSeries;

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

    /** The {@code file} label of the {@code -w} ranges in greylite_reload_failures_total. */
    static final String WHITELIST_RANGES_FILE = "whitelist-ranges";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter answers;
    private final Counter malformed;
    private final Counter undecided;
    private final EngineSeries engine;

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
        engine = new EngineSeries(registry, "the recipient is let in, or with GREYLITE_FAIL_CLOSED refused as too soon",
                List.of(EngineSeries.SUSPICION_FILE, WHITELIST_RANGES_FILE, EngineSeries.KNOWN_SENDERS_FILES));
        for (Answer a : Answer.values()) {
            answers.initLabelValues(a.toString(), label(a));
        }
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
            engine.decisionFailed();
        }
    }

    /** The series greylited and greylite-policy have too: greydb failures, its file replaced, failed reloads. */
    EngineSeries engine() {
        return engine;
    }

    /** The registry the metrics endpoint serves. */
    PrometheusRegistry registry() {
        return registry;
    }
}
