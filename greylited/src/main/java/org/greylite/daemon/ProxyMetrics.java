package org.greylite.daemon;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.metrics.EngineSeries;
import org.greylite.relay.RcptPolicy;
import org.greylite.relay.SessionInfo;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * greylited's Prometheus metrics, fed by the events of the server ({@link ServerEvents}), the decisions
 * of the greylisting engine ({@link DecisionListener}) and a timing wrapper around the RCPT policy.
 * Everything here is a lock-free counter update: it runs on I/O threads and the greydb thread. Without
 * exemplars: greylited has no traces to point to, and sampling them costs a timer thread's wake-ups.
 *
 * <p>Label values come from closed sets (verdicts, reasons, failure kinds) so the number of series stays
 * bounded whatever the traffic; the suspicion N, set by the administrator's file, is one label value per
 * N up to 9 and {@code 10+} beyond, and {@code none} when no suspicion line matched. Client addresses
 * and envelopes are never labels: the decision log has them.
 */
public final class ProxyMetrics implements ServerEvents, DecisionListener {

    /** Decision latency buckets: a healthy greydb answers in well under 10 ms; seconds mean trouble. */
    private static final double[] LATENCY_BUCKETS =
            {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    /** The {@code file} labels of {@code greylite_reload_failures_total} only greylited has. */
    static final String ACCESS_FILE = "access";
    static final String CONFIG_FILE = "config";
    static final String TLS_CERTIFICATE = "tls-certificate";

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter connections;
    private final Counter proxyHeaderFailures;
    private final Counter sessions;
    private final Gauge activeSessions;
    private final Counter rcpts;
    private final Counter upstreamRcptRefusals;
    private final Counter upstreamErrors;
    private final Counter junkLimitReached;
    private final Counter sessionLimits;
    private final Histogram decisionSeconds;
    private final EngineSeries engine;

    public ProxyMetrics() {
        connections = Counter.builder().name("greylite_connections")
                .help("Client connections accepted by the listener, by the access rules' decision (allowed, denied)")
                .labelNames("access").withoutExemplars().register(registry);
        proxyHeaderFailures = Counter.builder().name("greylite_proxy_header_failures")
                .help("Connections from a trusted load balancer closed for want of a valid PROXY header, by reason"
                        + " (malformed, timeout, closed)")
                .labelNames("reason").withoutExemplars().register(registry);
        sessions = Counter.builder().name("greylite_sessions")
                .help("SMTP sessions relayed (client connections the access rules let in)")
                .withoutExemplars().register(registry);
        activeSessions = Gauge.builder().name("greylite_sessions_active")
                .help("SMTP sessions in progress")
                .withoutExemplars().register(registry);
        rcpts = Counter.builder().name("greylite_rcpt")
                .help("RCPT decisions, by verdict (accept, greylist, tempfail, reject), reason, and the suspicion N "
                        + "when a suspicion line matched (else none)")
                .labelNames("verdict", "reason", "suspicion").withoutExemplars().register(registry);
        upstreamRcptRefusals = Counter.builder().name("greylite_rcpt_upstream_refused")
                .help("RCPTs the upstream refused before greylisting was asked (--rcpt-order upstream-first), by "
                        + "the class of its reply (4xx, 5xx): passed on unchanged, nothing written in the greydb; "
                        + "greylisting's own refusals are in greylite_rcpt_total")
                .labelNames("class").withoutExemplars().register(registry);
        upstreamErrors = Counter.builder().name("greylite_upstream_errors")
                .help("Sessions the upstream failed (the client got 421), by failure: connect, closed "
                        + "(unexpectedly), timeout, protocol (no SMTP reply, or a refusal of the proxy's own RSET or "
                        + "of the envelope said again in the upstream-first order, or XCLIENT not offered or refused)")
                .labelNames("failure").withoutExemplars().register(registry);
        junkLimitReached = Counter.builder().name("greylite_junk_command_limit")
                .help("Sessions closed with 421 4.7.0 for sending more junk commands (NOOP, RSET, VRFY, unknown or "
                        + "refused commands...) than --junk-command-limit")
                .withoutExemplars().register(registry);
        sessionLimits = Counter.builder().name("greylite_session_limit")
                .help("Sessions refused or ended with 421 by a session limit: client (--client-connection-limit "
                        + "sessions already open from its address), total (--connection-limit sessions open), "
                        + "deadline (open longer than --session-deadline)")
                .labelNames("limit").withoutExemplars().register(registry);
        decisionSeconds = Histogram.builder().name("greylite_decision_duration").unit(Unit.SECONDS)
                .help("Time from a RCPT being read to its verdict, greydb queue included (PTR lookup wait excluded)")
                .classicOnly().classicUpperBounds(LATENCY_BUCKETS).withoutExemplars().register(registry);
        engine = new EngineSeries(registry, "the RCPT was accepted or, with --fail-closed, answered 451",
                List.of(EngineSeries.SUSPICION_FILE, ACCESS_FILE, EngineSeries.KNOWN_SENDERS_FILES, CONFIG_FILE, TLS_CERTIFICATE));

        // Series that exist from the start, so that rate() and alerts see a 0 rather than nothing: a series born
        // at its first event has no earlier sample, and that first increase is lost to rate() and increase().
        connections.initLabelValues("allowed");
        connections.initLabelValues("denied");
        for (String reason : new String[] {"malformed", "timeout", "closed"}) {
            proxyHeaderFailures.initLabelValues(reason);
        }
        for (Verdict.Reason reason : Verdict.Reason.values()) {
            for (Verdict.Action action : reason.actions()) {
                for (String suspicion : suspicionLabels(reason)) {
                    rcpts.initLabelValues(action.label(), reason.label(), suspicion);
                }
            }
        }
        for (UpstreamFailure f : UpstreamFailure.values()) {
            upstreamErrors.initLabelValues(f.label());
        }
        for (String limit : new String[] {"client", "total", "deadline"}) {
            sessionLimits.initLabelValues(limit);
        }
        upstreamRcptRefusals.initLabelValues("4xx");
        upstreamRcptRefusals.initLabelValues("5xx");
    }

    /** The registry the metrics endpoint serves. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** {@code policy}, with the time each decision takes recorded (the screening before the upstream is not timed). */
    public RcptPolicy timed(RcptPolicy policy) {
        return new RcptPolicy() {
            @Override
            public void decide(RcptRequest request, long askedNanos, java.util.function.Consumer<Verdict> done) {
                long start = System.nanoTime();
                policy.decide(request, askedNanos, verdict -> {
                    decisionSeconds.observe((System.nanoTime() - start) / (double) TimeUnit.SECONDS.toNanos(1));
                    done.accept(verdict);
                });
            }

            @Override
            public void screen(RcptRequest request, java.util.function.Consumer<Verdict> done) {
                policy.screen(request, done);
            }
        };
    }

    /** A reload of the suspicion file kept the rules loaded before. */
    public void suspicionReloadFailed() {
        engine.reloadFailed(EngineSeries.SUSPICION_FILE);
    }

    /** A reload of the access file kept the rules loaded before. */
    public void accessReloadFailed() {
        engine.reloadFailed(ACCESS_FILE);
    }

    /** The series greylite-policy and greydaemon have too: greydb failures, its file replaced, failed reloads. */
    public EngineSeries engine() {
        return engine;
    }

    @Override
    public void clientConnected(InetAddress client, boolean allowed) {
        connections.labelValues(allowed ? "allowed" : "denied").inc();
    }

    @Override
    public void proxyHeaderRefused(String reason) {
        proxyHeaderFailures.labelValues(reason).inc();
    }

    @Override
    public void sessionOpened(SessionInfo info) {
        sessions.inc();
        activeSessions.inc();
    }

    @Override
    public void sessionClosed(SessionInfo info) {
        activeSessions.dec();
    }

    @Override
    public void upstreamFailed(SessionInfo info, UpstreamFailure failure) {
        upstreamErrors.labelValues(failure.label()).inc();
    }

    @Override
    public void recipientRefusedUpstream(SessionInfo info, int code) {
        upstreamRcptRefusals.labelValues(code / 100 + "xx").inc();
    }

    @Override
    public void tooManyCommands(SessionInfo info) {
        junkLimitReached.inc();
    }

    @Override
    public void connectionLimitReached(String limit) {
        sessionLimits.labelValues(limit).inc();
    }

    @Override
    public void sessionDeadlineReached(SessionInfo info) {
        sessionLimits.labelValues("deadline").inc();
    }

    @Override
    public void decided(RcptRequest request, Verdict verdict) {
        rcpts.labelValues(verdict.action().label(), verdict.reason().label(),
                suspicionLabel(verdict)).inc();
        if (verdict.reason() == Verdict.Reason.STORE_ERROR) {
            engine.decisionFailed();
        }
    }

    /**
     * The suspicion labels a reason's verdicts can have. A verdict decided without a triplet has {@code none}; one
     * decided by a triplet has the N of the matching line, or {@code none} when no line matched (N is then 1). N = 0
     * is seen only where a triplet passes at once ({@code no-delay-rule}, never without a line) or had passed
     * before ({@code known-triplet}); the refusals, and the pass after them, have N of 1 or more.
     */
    static List<String> suspicionLabels(Verdict.Reason reason) {
        if (!reason.carriesN()) {
            return List.of("none");
        }
        if (reason == Verdict.Reason.NO_DELAY) {
            return List.of("0");
        }
        List<String> labels = new ArrayList<>(List.of("none"));
        if (reason == Verdict.Reason.KNOWN) {
            labels.add("0");
        }
        for (int n = 1; n <= 9; n++) {
            labels.add(Integer.toString(n));
        }
        labels.add("10+");
        return labels;
    }

    /** N when a suspicion line set it, in a bounded set of values. */
    static String suspicionLabel(Verdict v) {
        if (v.rule() == null) {
            return "none";
        }
        return v.refusalsNeeded() >= 10 ? "10+" : Integer.toString(Math.max(0, v.refusalsNeeded()));
    }
}
