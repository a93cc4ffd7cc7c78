package org.greylite.policy;

import java.util.List;
import java.util.Locale;

import org.greylite.greylist.Verdict;
import org.greylite.metrics.EngineSeries;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * The policy service's Prometheus metrics, served by {@code --metrics HOST:PORT} at {@code /metrics}. The RCPT
 * decisions carry greylited's names and labels ({@code greylite_rcpt_total{verdict,reason}},
 * {@code greylite_store_errors_total}, {@code greylite_decision_duration_seconds}), so one dashboard reads
 * both programs; what only this service has is named {@code greylite_policy_...}. Labels come from closed
 * sets: no client address or envelope is ever a label (the decision log has them).
 */
final class PolicyMetrics {

    private static final double[] LATENCY_BUCKETS =
            {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    /** The {@code file} label of postgrey's client and recipient whitelists in greylite_reload_failures_total. */
    static final String WHITELIST_FILES = "whitelists";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Counter protocolErrors;
    private final Counter connections;
    private final Gauge activeConnections;
    private final Counter rcpts;
    private final Histogram decisionSeconds;
    private final EngineSeries engine;

    PolicyMetrics() {
        requests = Counter.builder().name("greylite_policy_requests")
                .help("Policy requests, by protocol_state (RCPT, DATA, END-OF-MESSAGE, other)")
                .labelNames("protocol_state").withoutExemplars().register(registry);
        protocolErrors = Counter.builder().name("greylite_policy_protocol_errors")
                .help("Connections closed because the client broke the policy protocol (no '=', over-long, binary)")
                .withoutExemplars().register(registry);
        connections = Counter.builder().name("greylite_policy_connections")
                .help("Policy client connections accepted (Postfix keeps one per smtpd process)")
                .withoutExemplars().register(registry);
        activeConnections = Gauge.builder().name("greylite_policy_connections_active")
                .help("Policy client connections open").withoutExemplars().register(registry);
        rcpts = Counter.builder().name("greylite_rcpt")
                .help("RCPT decisions, by verdict (accept, greylist, tempfail, reject) and reason")
                .labelNames("verdict", "reason").withoutExemplars().register(registry);
        decisionSeconds = Histogram.builder().name("greylite_decision_duration").unit(Unit.SECONDS)
                .help("Time a policy request's decisions took, greydb included")
                .classicOnly().classicUpperBounds(LATENCY_BUCKETS).withoutExemplars().register(registry);
        engine = new EngineSeries(registry, "answered DUNNO or, with --fail-closed, deferred",
                List.of(EngineSeries.SUSPICION_FILE, EngineSeries.KNOWN_SENDERS_FILES, WHITELIST_FILES));
        for (String state : new String[] {"RCPT", "DATA", "END-OF-MESSAGE", "other"}) {
            requests.initLabelValues(state);
        }
        // Every verdict and reason the engine can give, at 0 from the start: rate() needs a sample before the first event.
        for (Verdict.Reason reason : Verdict.Reason.values()) {
            for (Verdict.Action action : reason.actions()) {
                rcpts.initLabelValues(action.label(), reason.label());
            }
        }
    }

    void request(String protocolState) {
        String s = protocolState.toUpperCase(Locale.ROOT);
        requests.labelValues(s.equals("RCPT") || s.equals("DATA") || s.equals("END-OF-MESSAGE") ? s : "other").inc();
    }

    void protocolError() {
        protocolErrors.inc();
    }

    void connectionOpened() {
        connections.inc();
        activeConnections.inc();
    }

    void connectionClosed() {
        activeConnections.dec();
    }

    /** One engine decision, by the engine's verdict and reason labels. */
    void decided(Verdict v) {
        rcpts.labelValues(v.action().label(), v.reason().label()).inc();
        if (v.reason() == Verdict.Reason.STORE_ERROR) {
            engine.decisionFailed();
        }
    }

    /** The series greylited and greydaemon have too: greydb failures, its file replaced, failed reloads. */
    EngineSeries engine() {
        return engine;
    }

    void decisionTook(long nanos) {
        decisionSeconds.observe(nanos / 1e9);
    }

    /** The registry the metrics endpoint serves. */
    PrometheusRegistry registry() {
        return registry;
    }
}
