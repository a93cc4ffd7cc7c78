package org.greylite.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.greylite.config.Hangup;
import org.greylite.config.SuspicionSetup;
import org.greylite.connect.AccessPolicy;
import org.greylite.connect.DnsServers;
import org.greylite.connect.PtrLookup;
import org.greylite.connect.ReloadingAccessRules;
import org.greylite.daemon.config.ConfigFile;
import org.greylite.daemon.config.EffectiveConfig;
import org.greylite.daemon.config.LayeredDefaults;
import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.relay.RcptOrder;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.Replies;
import org.greylite.settings.Settings;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoreException;

import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code greylited}: the standalone greylisting proxy. Every setting is a flag, and can be written in the
 * configuration file ({@code --config}); where the settings model gives it an environment variable, the
 * variable is read too. Flag, then configuration file, then variable, then the model's default
 * ({@link GreylitedCommand}). Each setting is declared once, in {@link Settings} (label, description,
 * default, stage, variable); {@code --help} and {@code docs/configuration.md} ({@code --print-reference})
 * are written from there.
 */
@Command(name = "greylited", mixinStandardHelpOptions = true, sortOptions = false,
        version = "greylited 0.1.0",
        description = {
            "Greylisting reverse proxy: put it in front of any SMTP server.",
            "Without --upstream it starts a demo upstream that saves mail in a folder, and keeps its greydb "
                    + "in the working directory."
        })
public final class Greylited implements Callable<Integer> {

    static final String DEMO_DB = "greylite-demo.db";

    // Each field below holds the setting its flag names, as picocli converted it; what the setting means, its
    // label, default and variable are the model's (SettingOptions gives them to picocli).

    @Option(names = "--listen")
    String listen;

    @Option(names = "--upstream")
    String upstream;

    @Option(names = "--db")
    String db;

    @Option(names = "--suspicion")
    Path suspicion;

    @Option(names = "--access")
    Path access;

    @Option(names = "--accept-proxy-protocol", split = "[\\s,]+", splitSynopsisLabel = ",")
    List<String> acceptProxyProtocol = new java.util.ArrayList<>();

    @Option(names = "--dns", split = "[\\s,]+", splitSynopsisLabel = ",")
    List<String> dns;

    @Option(names = "--dnswl", split = "[\\s,]+", splitSynopsisLabel = ",")
    List<String> dnswl = new java.util.ArrayList<>();

    @Option(names = "--ptr-timeout")
    String ptrTimeout;

    @Option(names = "--min-delay")
    String minDelay;

    @Option(names = "--retry-window")
    String retryWindow;

    @Option(names = "--whitelist-lifetime")
    String whitelistLifetime;

    @Option(names = "--max-pending")
    int maxPending;

    @Option(names = "--auto-whitelist-clients")
    int autoWhitelistClients;

    @Option(names = "--whitelist-memory")
    String whitelistMemory;

    @Option(names = "--greet-delay")
    Long greetDelay;

    @Option(names = "--client-key")
    String clientKey;

    @Option(names = "--rcpt-order")
    String rcptOrder;

    @Option(names = "--max-line")
    int maxLine;

    @Option(names = "--junk-command-limit")
    int junkCommandLimit;

    @Option(names = "--idle-timeout")
    String idleTimeout;

    @Option(names = "--session-deadline")
    String sessionDeadline;

    @Option(names = "--client-connection-limit")
    int clientConnectionLimit;

    @Option(names = "--connection-limit")
    int connectionLimit;

    @Option(names = "--upstream-timeout")
    String upstreamTimeout;

    @Option(names = "--greeting-timeout")
    String greetingTimeout;

    @Option(names = "--connect-timeout")
    String connectTimeout;

    @Option(names = "--upstream-proxy-protocol")
    String upstreamProxyProtocol;

    @Option(names = "--upstream-xclient")
    boolean upstreamXclient;

    @Option(names = "--upstream-tls")
    String upstreamTls;

    @Option(names = "--upstream-tls-ca")
    Path upstreamTlsCa;

    @Option(names = "--tls-cert")
    Path tlsCert;

    @Option(names = "--tls-key")
    Path tlsKey;

    @Option(names = "--fail-closed")
    boolean failClosed;

    @Option(names = "--greylist-reply")
    String greylistReply;

    @Option(names = "--hostname")
    String hostname;

    @Option(names = "--busy-timeout")
    String busyTimeout;

    @Option(names = "--db-connections")
    int dbConnections;

    @Option(names = "--purge-interval")
    String purgeInterval;

    @Option(names = "--stop-grace")
    String stopGrace;

    @Option(names = "--io-threads")
    Integer ioThreads;

    @Option(names = "--whitelist-file", split = "[\\s,]+", splitSynopsisLabel = ",")
    java.util.List<Path> whitelistFiles = new java.util.ArrayList<>();

    @Option(names = "--no-shipped-whitelist")
    boolean noShippedWhitelist;

    @Option(names = "--demo-mail")
    Path demoMail;

    @Option(names = "--geoip-db")
    Path geoipDb;

    @Option(names = "--metrics")
    String metrics;

    @Option(names = "--log-format")
    String logFormat;

    @Option(names = "--log-threshold")
    int logThreshold;

    @Option(names = "--log-pid")
    boolean logPid;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Read settings from FILE: 'name = value' lines, names being these flags' long names "
                    + "without --, '#' comments. Flags given here win over the file.")
    Path config;

    @Option(names = "--print-config",
            description = "Print each setting's value in effect and where it came from (flag, config, env, "
                    + "default), in the configuration file's format, and exit.")
    boolean printConfig;

    @Option(names = "--print-reference", hidden = true,
            description = "Print the configuration reference (docs/configuration.md) and exit.")
    boolean printReference;

    @Spec
    CommandSpec spec;

    /** Where each option's default comes from; set by {@link GreylitedCommand}, none in a bare command line. */
    LayeredDefaults defaults;

    private final Map<String, String> env;
    private final CountDownLatch stopped = new CountDownLatch(1);

    Greylited(Map<String, String> env) {
        this.env = env;
    }

    public static void main(String[] args) {
        System.exit(GreylitedCommand.execute(new Greylited(System.getenv()), System.getenv(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (printReference) {
            spec.commandLine().getOut().print(GreylitedCommand.referencePage());
            spec.commandLine().getOut().flush();
            return 0;
        }
        if (printConfig) {
            LayeredDefaults sources = defaults != null ? defaults
                    : new LayeredDefaults(spec, GreylitedOptions.SETTINGS, ConfigFile.none(), env);
            EffectiveConfig.print(spec, spec.commandLine().getParseResult(), GreylitedOptions.SETTINGS, sources,
                    spec.commandLine().getOut());
            return 0;
        }
        // Before the first logger: the level, pid prefix and format come from the settings.
        LogSetup.configure(logThreshold, logPid, logFormat);
        Logger log = LoggerFactory.getLogger(Greylited.class);
        ProxyMetrics metricsRegistry = new ProxyMetrics();
        GreylistSettings greylist = greylistSettings();
        TrustedProxies loadBalancers = trustedProxies(log);
        RelaySettings relay = new RelaySettings(maxLine, greetDelayMillis(),
                new Replies(hostname != null ? hostname : localHostName(), greylistReply), junkCommandLimit,
                value(Settings.SESSION_DEADLINE, sessionDeadline).toMillis(),
                value(Settings.GREETING_TIMEOUT, greetingTimeout).toMillis(), rcptOrder());
        // Before anything is opened: a certificate that cannot be used stops greylited here.
        TlsSetup tls = TlsSetup.of(tlsCert, tlsKey, upstreamTls, upstreamTlsCa, log);

        DemoUpstream demo = null;
        InetSocketAddress upstreamAddress;
        // --db (or DBFILE) has no default of picocli's: in demo mode it is a file of the working directory.
        String dbWhere = db;
        if (upstream == null) {
            demo = new DemoUpstream(demoMail).start();
            upstreamAddress = demo.address();
            if (dbWhere == null) {
                dbWhere = DEMO_DB;
            }
            log.info("demo mode: no --upstream given, so a demo upstream on {} accepts all mail and saves each "
                    + "message in {}", ProxyServer.hostPort(upstreamAddress), demo.folder());
        } else {
            upstreamAddress = HostPort.parse(upstream, "--upstream");
        }
        if (dbWhere == null) {
            dbWhere = Settings.DB.defaultValue();
        }

        GreylistStore store;
        try {
            GreydbLocation location;
            try {
                location = GreydbLocation.parse(dbWhere);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(origin(Settings.DB) + ": " + e.getMessage());
            }
            if (dbConnections < 1) {
                throw new IllegalArgumentException("--db-connections must be at least 1");
            }
            store = GreylistStores.open(location, new GreydbOptions(Durations.parse(busyTimeout), dbConnections, env));
        } catch (StoreException | IllegalArgumentException e) {
            if (demo != null) {
                demo.close();
            }
            throw e;
        }
        SuspicionPolicy rules = SuspicionSetup.load(suspicion, envWithGeoIp(), log,
                metricsRegistry::suspicionReloadFailed);
        ReloadingAccessRules accessRules = access == null ? null
                : new ReloadingAccessRules(access, Clock.systemUTC(), metricsRegistry::accessReloadFailed);
        PtrLookup ptr = ptrLookup(log);
        org.greylite.greylist.KnownSenders known = org.greylite.greylist.KnownSenders.load(!noShippedWhitelist, whitelistFiles);
        known.problems().forEach(p -> log.warn("known senders: {}", p));
        log.info("known senders: {} entries{}", known.size(), noShippedWhitelist ? "" : " (shipped list included)");
        RunningEngine engine = new RunningEngine(store, rules, accessRules, greylist, known, metricsRegistry,
                Durations.parse(purgeInterval), log);

        ProxyServer.Builder b = ProxyServer.builder()
                .listen(HostPort.parse(listen, "--listen"))
                .upstream(upstreamAddress)
                .policy(engine.policy(metricsRegistry))
                .events(metricsRegistry)
                .access(accessRules != null ? accessRules : AccessPolicy.ALLOW_ALL)
                .ptrLookup(ptr)
                .dnswl(dnswlLookup(log))
                .relaySettings(relay)
                .idleTimeout(Durations.parse(idleTimeout))
                .upstreamTimeout(Durations.parse(upstreamTimeout))
                .connectionLimits(connectionLimit, clientConnectionLimit)
                .connectTimeout(Durations.parse(connectTimeout))
                .upstreamProxyProtocol(ProxyProtocolHeader.Version.parse(upstreamProxyProtocol))
                .upstreamXclient(upstreamXclient)
                .trustedProxies(loadBalancers)
                .clientTls(tls.client())
                .upstreamTls(tls.upstream());
        if (upstreamXclient && ptr == null) {
            log.warn("--upstream-xclient with PTR lookups off: the upstream is told every client's name is"
                    + " temporarily unknown (NAME=[TEMPUNAVAIL])");
        }
        if (ioThreads != null) {
            b.ioThreads(ioThreads);
        }
        // Before listening: from then on an administrator may send SIGHUP, which must not stop the JVM.
        Hangup.onHangup(() -> engine.reload(tls.client()), log);
        // Metrics first: a port that cannot be had stops greylited before it takes any client.
        MetricsEndpoint metricsEndpoint = null;
        if (metrics != null) {
            metricsEndpoint = MetricsEndpoint.start(HostPort.parse(metrics, "--metrics"), metricsRegistry.registry());
            log.info("metrics on {}", metricsEndpoint.url());
        }
        ProxyServer server = b.build().start();
        log.info("greydb {}; min-delay {}, retry-window {}, whitelist-lifetime {}, client key {}, rcpt order {},"
                + " greeting delay {} ms{}",
                engine.describe(), Durations.format(greylist.minDelay()), Durations.format(greylist.retryWindow()),
                Durations.format(greylist.whitelistLifetime()), clientKey, relay.rcptOrder().label(),
                relay.greetDelayMillis(),
                greylist.failOpen() ? "" : ", fail closed");
        if (demo != null) {
            InetSocketAddress at = server.localAddress();
            log.info("try it: swaks --server {} --port {} --from you@example.org --to someone@example.com "
                    + "(the first attempt is greylisted; run it again after {} to see it delivered into {})",
                    at.getAddress().getHostAddress(), at.getPort(), Durations.format(greylist.minDelay()), demo.folder());
        }

        Duration grace = Durations.parse(stopGrace);
        DemoUpstream demoToStop = demo;
        MetricsEndpoint metricsToStop = metricsEndpoint;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping (signal received)");
            server.stop(grace);
            engine.close();
            if (metricsToStop != null) {
                metricsToStop.close();
            }
            if (demoToStop != null) {
                demoToStop.close();
            }
            log.info("stopped");
            stopped.countDown();
        }, "greylited-stop"));
        stopped.await();
        return 0;
    }

    /** The load balancers whose PROXY headers are believed (--accept-proxy-protocol); none by default. */
    private TrustedProxies trustedProxies(Logger log) {
        TrustedProxies t;
        try {
            t = TrustedProxies.parse(acceptProxyProtocol);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!t.isEmpty()) {
            log.info("PROXY protocol header required from {}; other peers are their own clients", t);
        }
        return t;
    }

    /** The DNS whitelist lookups, or null when no --dnswl is given. */
    private org.greylite.connect.DnswlLookup dnswlLookup(Logger log) {
        if (dnswl.isEmpty()) {
            return null;
        }
        List<org.greylite.connect.DnswlLookup.Zone> zones = dnswl.stream().map(org.greylite.connect.DnswlLookup.Zone::parse).toList();
        Duration timeout = value(Settings.PTR_TIMEOUT, ptrTimeout);
        org.greylite.connect.DnswlLookup lookup = org.greylite.connect.DnswlLookup.create(zones, dnsServers(),
                timeout.isZero() ? Duration.ofSeconds(5) : timeout);
        log.info("{}", lookup);
        return lookup;
    }

    /** --dns (or DNSCACHEIP), else (empty) the system's resolver. */
    private List<java.net.InetSocketAddress> dnsServers() {
        String from = origin(Settings.DNS);
        return dns == null ? List.of() : dns.stream().map(d -> DnsServers.parse(d, from)).toList();
    }

    /** The PTR lookups, or null when --ptr-timeout is 0. */
    private PtrLookup ptrLookup(Logger log) {
        Duration timeout = value(Settings.PTR_TIMEOUT, ptrTimeout);
        if (timeout.isZero()) {
            log.info("PTR lookups off (--ptr-timeout 0): r lines see every client's name as empty");
            return null;
        }
        PtrLookup lookup = PtrLookup.create(dnsServers(), timeout);
        log.info("{}", lookup.describe());
        return lookup;
    }

    /**
     * A setting's value as the model reads it.
     *
     * @throws IllegalArgumentException naming where the value came from (the flag, or the variable)
     */
    private <T> T value(org.greylite.settings.Setting<T> setting, String text) {
        try {
            return setting.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin(setting) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The name an error about a setting's value should give: its variable when the value came from there, else
     * its flag (a value from the configuration file is located by the flag, see {@link GreylitedCommand}).
     */
    private String origin(org.greylite.settings.Setting<?> setting) {
        if (defaults != null && setting.variable() != null) {
            picocli.CommandLine.Model.OptionSpec o = spec.findOption(setting.flag());
            if (o != null && defaults.source(o, spec.commandLine().getParseResult()).origin()
                    == LayeredDefaults.Origin.ENV) {
                return setting.variable();
            }
        }
        return setting.flag();
    }

    GreylistSettings greylistSettings() {
        ClientKeys keys;
        try {
            keys = Settings.CLIENT_KEY.parse(clientKey);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), origin(Settings.CLIENT_KEY) + ": "
                    + e.getMessage());
        }
        return new GreylistSettings(value(Settings.MIN_DELAY, minDelay), value(Settings.RETRY_WINDOW, retryWindow),
                value(Settings.WHITELIST_LIFETIME, whitelistLifetime), keys, !failClosed)
                .withWhitelistMemory(value(Settings.WHITELIST_MEMORY, whitelistMemory))
                .withMaxPending(maxPending).withAutoWhitelistPasses(autoWhitelistClients);
    }

    /** The RCPT order; a bad value is a usage error naming where it was given. */
    RcptOrder rcptOrder() {
        try {
            return Settings.RCPT_ORDER.parse(rcptOrder);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), origin(Settings.RCPT_ORDER) + ": "
                    + e.getMessage());
        }
    }

    /** The greeting delay in ms; 0: none. */
    long greetDelayMillis() {
        if (greetDelay < 0) {
            throw new IllegalArgumentException("--greet-delay must be 0 (off) or a number of milliseconds");
        }
        return greetDelay;
    }

    /** The environment the suspicion rules read, with GEOIPDB_FILE as --geoip-db (or the configuration file) says. */
    private Map<String, String> envWithGeoIp() {
        if (geoipDb == null) {
            return env;
        }
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("GEOIPDB_FILE", geoipDb.toString());
        return e;
    }

    /** --hostname's default (HOSTNAME, when set, came in as --hostname). */
    private static String localHostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
