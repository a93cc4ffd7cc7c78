package org.greylite.daemon;

import static org.greylite.daemon.config.OptionInfo.env;
import static org.greylite.daemon.config.OptionInfo.of;

import java.util.List;
import java.util.Map;

import org.greylite.config.Environment;
import org.greylite.daemon.config.EnvironmentOnly;
import org.greylite.daemon.config.OptionInfo;
import org.greylite.daemon.config.Stage;

/**
 * For each of {@link Greylited}'s options (by long name without {@code --}), what picocli's model does not
 * hold: the stage it belongs to on the reference page, and the greylite(8) environment variable that
 * supplies its default. A test checks that every option is here, so a new flag cannot miss its place
 * on {@code docs/configuration.md}.
 */
final class GreylitedOptions {

    private GreylitedOptions() {
    }

    static final Map<String, OptionInfo> CATALOG = Map.ofEntries(
            Map.entry("listen", of(Stage.CONNECTION)),
            Map.entry("accept-proxy-protocol", of(Stage.CONNECTION)),
            Map.entry("access", of(Stage.CONNECTION)),
            Map.entry("dns", env(Stage.CONNECTION, "DNSCACHEIP")),
            Map.entry("dnswl", of(Stage.CONNECTION)),
            Map.entry("ptr-timeout", of(Stage.CONNECTION)),
            Map.entry("max-line", of(Stage.CONNECTION)),
            Map.entry("junk-command-limit", env(Stage.CONNECTION, "GREYLITE_JUNK_COMMAND_LIMIT")),
            Map.entry("idle-timeout", of(Stage.CONNECTION)),
            Map.entry("hostname", env(Stage.CONNECTION, "HOSTNAME")),
            Map.entry("io-threads", of(Stage.CONNECTION)),
            Map.entry("stop-grace", of(Stage.CONNECTION)),

            // greylite(8): GREETDELAY set means on; a positive integer is the delay, anything else 6000 ms.
            Map.entry("greet-delay", env(Stage.GREETING, "GREETDELAY",
                    v -> Long.toString(Environment.greetDelayMillis(Map.of("GREETDELAY", v))))),

            Map.entry("tls-cert", of(Stage.TLS)),
            Map.entry("tls-key", of(Stage.TLS)),

            Map.entry("suspicion", env(Stage.SUSPICION, "SUSPICION")),
            Map.entry("geoip-db", env(Stage.SUSPICION, "GEOIPDB_FILE")),

            Map.entry("min-delay", env(Stage.GREYLISTING, "GREYLITE_MIN_DELAY")),
            Map.entry("retry-window", env(Stage.GREYLISTING, "GREYLITE_RETRY_WINDOW")),
            Map.entry("whitelist-lifetime", env(Stage.GREYLISTING, "GREYLITE_WHITELIST_LIFETIME")),
            Map.entry("whitelist-memory", of(Stage.GREYLISTING)),
            Map.entry("client-key", of(Stage.GREYLISTING)),
            Map.entry("greylist-reply", of(Stage.GREYLISTING)),
            Map.entry("whitelist-file", of(Stage.GREYLISTING)),
            Map.entry("no-shipped-whitelist", of(Stage.GREYLISTING)),

            Map.entry("db", env(Stage.STORE, "DBFILE")),
            Map.entry("busy-timeout", of(Stage.STORE)),
            Map.entry("db-connections", of(Stage.STORE)),
            Map.entry("purge-interval", of(Stage.STORE)),
            Map.entry("fail-closed", of(Stage.STORE)),

            Map.entry("upstream", of(Stage.UPSTREAM)),
            Map.entry("connect-timeout", of(Stage.UPSTREAM)),
            Map.entry("upstream-timeout", of(Stage.UPSTREAM)),
            Map.entry("upstream-proxy-protocol", of(Stage.UPSTREAM)),
            Map.entry("upstream-xclient", of(Stage.UPSTREAM)),
            Map.entry("upstream-tls", of(Stage.UPSTREAM)),
            Map.entry("upstream-tls-ca", of(Stage.UPSTREAM)),
            Map.entry("demo-mail", of(Stage.UPSTREAM)),

            Map.entry("metrics", of(Stage.METRICS)),

            Map.entry("log-format", env(Stage.LOGGING, "GREYLITE_LOG_FORMAT")),
            // greylite(8) ignores a LOGTHRESHOLD that is not a single digit 0-7, and so do we.
            Map.entry("log-threshold", env(Stage.LOGGING, "LOGTHRESHOLD",
                    v -> v.strip().matches("[0-7]") ? v.strip() : null)),
            // LOGPID: set, whatever its value, means on.
            Map.entry("log-pid", env(Stage.LOGGING, "LOGPID", v -> "true")),

            Map.entry("config", of(Stage.COMMAND)),
            Map.entry("print-config", of(Stage.COMMAND)),
            Map.entry("print-reference", of(Stage.COMMAND)),
            Map.entry("help", of(Stage.COMMAND)),
            Map.entry("version", of(Stage.COMMAND)));

    /** Variables read that are no option's default. */
    static final List<EnvironmentOnly> ENVIRONMENT = List.of(
            new EnvironmentOnly("PGPASSWORD", Stage.STORE,
                    "Password of a PostgreSQL greydb (a password in the --db URL is refused: command lines are visible in ps)."),
            new EnvironmentOnly("PGPASSFILE", Stage.STORE,
                    "File of PostgreSQL passwords, lines host:port:database:user:password, mode 0600, read when "
                            + "PGPASSWORD is not set (default ~/.pgpass)."));
}
