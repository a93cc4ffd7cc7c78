package org.greylite.settings;

/**
 * Where in a connection's life a setting acts: the sections of {@code docs/configuration.md}, in the order
 * a connection meets them.
 */
public enum Stage {
    CONNECTION("Connection", "Accepting clients: where to listen, who may connect, what is looked up about them, "
            + "and the limits every session runs under."),
    GREETING("Greeting", "Before the upstream's greeting reaches the client."),
    TLS("TLS", "STARTTLS toward clients. greylited terminates TLS itself, so greylisting still sees the decrypted "
            + "envelope; STARTTLS is never passed through to the upstream (see Upstream for TLS on that side). "
            + "Input pipelined after STARTTLS is discarded; a second STARTTLS under TLS gets 503 5.5.1."),
    SUSPICION("Suspicion", "Which clients need more refusals than the default (the suspicion file, SPEC section 5)."),
    GREYLISTING("Greylisting", "The decision for each RCPT (SPEC section 3)."),
    STORE("Store", "The greydb, where triplets and the auto-whitelist are kept."),
    UPSTREAM("Upstream", "The SMTP server mail is relayed to."),
    METRICS("Metrics", "Prometheus' text format at /metrics (GET or HEAD; any other path is 404, any other method "
            + "405): `greylite_connections_total{access}`, `greylite_sessions_total`, `greylite_sessions_active`, "
            + "`greylite_rcpt_total{verdict,reason,suspicion}`, `greylite_rcpt_upstream_refused_total{class}`, "
            + "`greylite_store_errors_total{operation}`, `greylite_upstream_errors_total{failure}`, "
            + "`greylite_proxy_header_failures_total{reason}`, `greylite_reload_failures_total{file}`, "
            + "`greylite_junk_command_limit_total`, `greylite_session_limit_total{limit}`, "
            + "`greylite_greydb_file_replaced_total` and the histogram `greylite_decision_duration_seconds`. Labels "
            + "take a few fixed values each, every one of them shown from the start (at 0); no client address or "
            + "envelope is ever one."),
    LOGGING("Logging", "Log lines go to stderr: one per RCPT decision, one per session."),
    COMMAND("Command line", "Options for the command itself; they cannot be set in the configuration file.");

    private final String title;
    private final String summary;

    Stage(String title, String summary) {
        this.title = title;
        this.summary = summary;
    }

    public String title() {
        return title;
    }

    public String summary() {
        return summary;
    }

    /** Whether the settings of this stage may be written in the configuration file. */
    public boolean inConfigFile() {
        return this != COMMAND;
    }
}
