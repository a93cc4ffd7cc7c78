package org.greylite.daemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.greylite.config.FileErrors;
import org.greylite.config.Hangup;
import org.greylite.config.StartingHangup;
import org.greylite.config.SuspicionSetup;
import org.greylite.connect.AccessPolicy;
import org.greylite.connect.ConnectStage;
import org.greylite.connect.PtrLookup;
import org.greylite.connect.ReloadingAccessRules;
import org.greylite.connect.TrustedProxies;
import org.greylite.daemon.config.CommandLineSettings;
import org.greylite.daemon.config.ConfigFile;
import org.greylite.daemon.config.EffectiveConfig;
import org.greylite.daemon.config.LayeredDefaults;
import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.metrics.MetricsEndpoint;
import org.greylite.net.AddressText;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.Replies;
import org.greylite.settings.Setting;
import org.greylite.settings.Settings;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreyliteImportRules;
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
 * default, stage, variable), and its option is made from there ({@link GreylitedOptions}), as are
 * {@code --help} and {@code docs/configuration.md} ({@code --print-reference}); only the options that are no
 * setting are declared here. This class reads the settings and builds the server from them.
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
            return checkValues();
        }
        // Every value read once, before the first logger and before anything is opened: a bad one is the
        // configuration's mistake, said alone (exit status 2), not after the start's log lines.
        CommandLineSettings settings = settings();
        readEverySetting(settings);
        checkStartValues(settings);
        // Before the first logger: the level, pid prefix and format come from the settings.
        LogSetup.configure(settings.get(Settings.LOG_THRESHOLD), settings.get(Settings.LOG_PID),
                settings.get(Settings.LOG_FORMAT));
        Logger log = LoggerFactory.getLogger(Greylited.class);
        // As soon as a logger may be made: from here on SIGHUP must not stop the JVM, as its default would.
        StartingHangup hangup = new StartingHangup();
        hangup.whileStarting(log);
        Hangup.onHangup(hangup, log);
        org.greylite.config.Logging.reportMalformedThreshold(env, org.greylite.settings.Program.GREYLITED,
                settings.get(Settings.LOG_THRESHOLD));
        ProxyMetrics metricsRegistry = new ProxyMetrics();
        GreylistSettings greylist = greylistSettings();
        ConnectStage connect = new ConnectStage(settings, log);
        TrustedProxies loadBalancers;
        try {
            loadBalancers = connect.trustedProxies();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        String hostname = settings.get(Settings.HOSTNAME);
        String serverName = hostname != null ? hostname : localHostName();
        RelaySettings relay = relaySettings(serverName);
        AtomicReference<RelaySettings> relayInForce = new AtomicReference<>(relay);
        // Before anything is opened: a certificate that cannot be used stops greylited here.
        TlsSetup tls = TlsSetup.of(settings.get(Settings.TLS_CERT), settings.get(Settings.TLS_KEY),
                settings.get(Settings.UPSTREAM_TLS), settings.get(Settings.UPSTREAM_TLS_CA), log);
        // The addresses too: a mistake in one is the configuration's, found before the greydb is opened.
        InetSocketAddress listen = HostPort.parse(settings.get(Settings.LISTEN), settings.origin(Settings.LISTEN));
        String metrics = settings.get(Settings.METRICS);
        InetSocketAddress metricsAddress = metrics == null ? null : HostPort.parse(metrics, settings.origin(Settings.METRICS));

        UpstreamChoice upstream = chooseUpstream(settings, log);
        DemoUpstream demo = upstream.demo();
        GreylistStore store;
        try {
            store = openGreydb(settings, upstream.greydb(), greylist);
        } catch (StoreException | IllegalArgumentException e) {
            if (demo != null) {
                demo.close();
            }
            throw e;
        }
        SuspicionPolicy rules;
        try {
            rules = SuspicionSetup.load(settings.get(Settings.SUSPICION), envWithGeoIp(settings), log,
                    metricsRegistry::suspicionReloadFailed);
        } catch (IOException e) {
            throw unreadable(settings, Settings.SUSPICION, e);
        }
        ReloadingAccessRules accessRules;
        try {
            accessRules = connect.accessRules(metricsRegistry::accessReloadFailed);
        } catch (IOException e) {
            throw unreadable(settings, Settings.ACCESS, e);
        }
        RunningEngine engine = startEngine(settings, store, rules, accessRules, greylist, metricsRegistry, log);

        PtrLookup ptr = connect.ptrLookup();
        boolean upstreamXclient = settings.get(Settings.UPSTREAM_XCLIENT);
        ProxyServer.Builder b = ProxyServer.builder()
                .listen(listen)
                .upstream(upstream.address())
                .policy(engine.policy(metricsRegistry))
                .events(metricsRegistry)
                .access(accessRules != null ? accessRules : AccessPolicy.ALLOW_ALL)
                .ptrLookup(ptr)
                .dnswl(connect.dnswlLookup())
                .relaySettings(relayInForce::get)
                .idleTimeout(settings.get(Settings.IDLE_TIMEOUT))
                .upstreamTimeout(settings.get(Settings.UPSTREAM_TIMEOUT))
                .connectionLimits(settings.get(Settings.CONNECTION_LIMIT), settings.get(Settings.CLIENT_CONNECTION_LIMIT))
                .clientIpv6Prefix(settings.get(Settings.CLIENT_CONNECTION_IPV6_PREFIX))
                .connectTimeout(settings.get(Settings.CONNECT_TIMEOUT))
                .upstreamProxyProtocol(ProxyProtocolHeader.Version.parse(settings.get(Settings.UPSTREAM_PROXY_PROTOCOL)))
                .upstreamXclient(upstreamXclient)
                .trustedProxies(loadBalancers)
                .clientTls(tls.client())
                .upstreamTls(tls.upstream());
        if (upstreamXclient && ptr == null) {
            log.warn("--upstream-xclient with PTR lookups off: the upstream is told every client's name is"
                    + " temporarily unknown (NAME=[TEMPUNAVAIL])");
        }
        Integer ioThreads = settings.get(Settings.IO_THREADS);
        if (ioThreads != null) {
            b.ioThreads(ioThreads);
        }
        // Before listening: the files are read, so a SIGHUP from now on reads them again, the configuration file first
        // (its greylisting settings in force before the rule files' lines are logged).
        ConfigReload configReload = config == null ? null : new ConfigReload(config,
                spec.commandLine().getParseResult().originalArgs(), env, settings, engine, relayInForce, serverName,
                log);
        hangup.reloadWith(() -> {
            if (configReload != null) {
                metricsRegistry.engine().countFailure(ProxyMetrics.CONFIG_FILE, configReload.reload());
            }
            engine.reload(tls.client());
        });
        // Metrics first: a port that cannot be had stops greylited before it takes any client.
        MetricsEndpoint metricsEndpoint = null;
        if (metricsAddress != null) {
            metricsEndpoint = MetricsEndpoint.start(metricsAddress, metricsRegistry.registry());
            log.info("metrics on {}", metricsEndpoint.url());
        }
        ProxyServer server = b.build().start();
        log.info("greydb {}; min-delay {}, retry-window {}, whitelist-lifetime {}, client key {}, rcpt order {},"
                + " greeting delay {} ms{}",
                engine.describe(), Durations.format(greylist.minDelay()), Durations.format(greylist.retryWindow()),
                Durations.format(greylist.whitelistLifetime()), settings.held(Settings.CLIENT_KEY),
                relay.rcptOrder().label(), relay.greetDelayMillis(), greylist.failOpen() ? "" : ", fail closed");
        if (demo != null) {
            tellHowToTryIt(server.localAddress(), greylist, demo, log);
        }
        stopOnSignal(settings.get(Settings.STOP_GRACE), server, engine, metricsEndpoint, demo, log);
        stopped.await();
        return 0;
    }

    /** Where the mail goes: the upstream named, or a demo one started here; and the greydb that goes with it. */
    private record UpstreamChoice(InetSocketAddress address, DemoUpstream demo, String greydb) {
    }

    private static UpstreamChoice chooseUpstream(CommandLineSettings settings, Logger log) throws IOException {
        // --db (or DBFILE) has no default of picocli's: in demo mode it is a file of the working directory.
        String dbWhere = settings.get(Settings.DB);
        String upstream = settings.get(Settings.UPSTREAM);
        if (upstream != null) {
            return new UpstreamChoice(HostPort.parse(upstream, settings.origin(Settings.UPSTREAM)), null, // checked before
                    dbWhere != null ? dbWhere : Settings.DB.defaultValue());
        }
        DemoUpstream demo = new DemoUpstream(settings.get(Settings.DEMO_MAIL)).start();
        // The demo's triplets go to a greydb of its own unless --db (or the configuration file) names one: a
        // DBFILE left in the shell from a tcpserver setup must not receive them.
        if (dbWhere != null && Settings.DB.variable().equals(settings.origin(Settings.DB))) {
            log.warn("demo mode: {} is set but not used, so that the demo's triplets stay out of that greydb;"
                    + " the demo keeps its greydb in {} (give --db to choose another)", Settings.DB.variable(), DEMO_DB);
            dbWhere = null;
        }
        log.info("demo mode: no --upstream given, so a demo upstream on {} accepts all mail and saves each "
                + "message in {}", ProxyServer.hostPort(demo.address()), demo.folder());
        return new UpstreamChoice(demo.address(), demo, dbWhere != null ? dbWhere : DEMO_DB);
    }

    private GreylistStore openGreydb(CommandLineSettings settings, String where, GreylistSettings greylist) {
        GreydbLocation location;
        try {
            location = GreydbLocation.parse(where, env);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(settings.origin(Settings.DB) + ": " + e.getMessage());
        }
        int dbConnections = settings.get(Settings.DB_CONNECTIONS);
        if (dbConnections < 1) {
            throw new IllegalArgumentException("--db-connections must be at least 1");
        }
        return GreylistStores.open(location, new GreydbOptions(settings.get(Settings.BUSY_TIMEOUT), dbConnections, env)
                .withGreyliteImport(new GreyliteImportRules(greylist, Clock.systemUTC())));
    }

    /** The engine over {@code store}, with the known senders loaded. */
    private static RunningEngine startEngine(CommandLineSettings settings, GreylistStore store, SuspicionPolicy rules,
            ReloadingAccessRules accessRules, GreylistSettings greylist, ProxyMetrics metricsRegistry, Logger log)
            throws IOException {
        boolean noShippedWhitelist = settings.get(Settings.NO_SHIPPED_WHITELIST);
        List<Path> knownFiles = Objects.requireNonNullElse(settings.get(Settings.WHITELIST_FILE), List.of());
        KnownSenders known;
        try {
            known = KnownSenders.load(!noShippedWhitelist, knownFiles);
        } catch (KnownSenders.UnreadableFile e) {
            throw FileErrors.unreadable(settings.origin(Settings.WHITELIST_FILE), e.file(), e.reason());
        }
        known.problems().forEach(p -> log.error("known senders: {}", p)); // a line left out of the admin's file
        log.info("known senders: {} entries{}", known.size(), noShippedWhitelist ? "" : " (shipped list included)");
        return new RunningEngine(store, rules, accessRules, greylist,
                new KnownSendersFiles(!noShippedWhitelist, knownFiles, known), metricsRegistry,
                settings.get(Settings.PURGE_INTERVAL), log);
    }

    private static void tellHowToTryIt(InetSocketAddress at, GreylistSettings greylist, DemoUpstream demo, Logger log) {
        // The refusal is recorded at the next whole second, so a retry min-delay later may still be early by
        // up to a second (the reply's "retry in N seconds" says so): the hint names the wait that always works.
        Duration wait = greylist.minDelay().isZero() ? Duration.ZERO
                : Duration.ofSeconds(greylist.minDelay().toSeconds() + 1);
        log.info("try it: swaks --server {} --port {} --from you@example.org --to someone@example.com "
                + "(the first attempt is greylisted; run it again after {} to see it delivered into {})",
                AddressText.of(at.getAddress()), at.getPort(), Durations.format(wait), demo.folder());
    }

    /** At SIGTERM or SIGINT: the sessions given {@code grace} to end, then everything closed, and {@link #call} ends. */
    private void stopOnSignal(Duration grace, ProxyServer server, RunningEngine engine, MetricsEndpoint metrics,
            DemoUpstream demo, Logger log) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping (signal received)");
            server.stop(grace);
            engine.close();
            if (metrics != null) {
                metrics.close();
            }
            if (demo != null) {
                demo.close();
            }
            log.info("stopped");
            stopped.countDown();
        }, "greylited-stop"));
    }

    /**
     * --print-config: every value read as greylited would read it at start, so that a configuration the listing
     * shows is one greylited would run with. The first bad one is reported as the start reports it, by the command's
     * handlers ({@link GreylitedCommand}), which name the configuration file's line it came from; with exit status 2.
     * (Said here, the line named the flag alone: "--min-delay: bad duration" for a value written in the file.)
     *
     * @throws IllegalArgumentException for the first value that cannot be used
     */
    int checkValues() {
        CommandLineSettings settings = settings();
        readEverySetting(settings);
        checkStartValues(settings);
        greylistSettings(); // what depends on several values (retry-window against min-delay...)
        return 0;
    }

    /**
     * What the start checks of the values before it opens anything, made for --print-config too: it printed a value
     * greylited then refused to start with (a --log-threshold of 8, a --greylist-reply of 250, an --upstream that is
     * greylited itself...) and said nothing, with exit status 0. Files are not read here.
     *
     * @throws IllegalArgumentException for the first value that cannot be used, naming its flag or variable
     */
    private void checkStartValues(CommandLineSettings settings) {
        LogSetup.check(settings.get(Settings.LOG_THRESHOLD), settings.get(Settings.LOG_FORMAT));
        ConnectStage.check(settings);
        refuseARetryWindowNoLongerThanMinDelay(settings);
        try {
            TrustedProxies.parse(Objects.requireNonNullElse(settings.get(Settings.ACCEPT_PROXY_PROTOCOL), List.of()));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage()); // as the start says it
        }
        String hostname = settings.get(Settings.HOSTNAME);
        replies(settings, hostname != null ? hostname : localHostName());
        ProxyProtocolHeader.Version.parse(settings.get(Settings.UPSTREAM_PROXY_PROTOCOL));
        TlsSetup.check(settings.get(Settings.TLS_CERT), settings.get(Settings.TLS_KEY),
                settings.get(Settings.UPSTREAM_TLS), settings.get(Settings.UPSTREAM_TLS_CA));
        InetSocketAddress listen = HostPort.parse(settings.get(Settings.LISTEN), settings.origin(Settings.LISTEN));
        String metrics = settings.get(Settings.METRICS);
        if (metrics != null) {
            SharedPort.refuse(settings.origin(Settings.LISTEN), listen, settings.origin(Settings.METRICS),
                    HostPort.parse(metrics, settings.origin(Settings.METRICS)));
        }
        String upstream = settings.get(Settings.UPSTREAM);
        if (upstream != null) {
            InetSocketAddress to = HostPort.parse(upstream, settings.origin(Settings.UPSTREAM));
            if (to.getPort() == 0) {
                // Port 0 means "any free port" to listen on; nothing can be reached there.
                throw new IllegalArgumentException(settings.origin(Settings.UPSTREAM) + ": port 0 cannot be connected to: '"
                        + upstream + "'");
            }
            RelayToItself.refuse(settings.origin(Settings.LISTEN), listen, settings.origin(Settings.UPSTREAM), to);
        }
    }

    /**
     * The engine refuses such a window too ({@link GreylistSettings}), in words that say neither value's origin: one of
     * them may be a variable left from the wrapper's run script, or a line of the file. Both are named here.
     */
    private void refuseARetryWindowNoLongerThanMinDelay(CommandLineSettings settings) {
        Duration minDelay = settings.get(Settings.MIN_DELAY);
        Duration retryWindow = settings.get(Settings.RETRY_WINDOW);
        if (retryWindow.compareTo(minDelay) <= 0) {
            throw new IllegalArgumentException("retry-window " + Durations.format(retryWindow) + " ("
                    + source(Settings.RETRY_WINDOW) + ") must be longer than min-delay " + Durations.format(minDelay)
                    + " (" + source(Settings.MIN_DELAY) + "), or no retry could ever pass");
        }
    }

    /** Where a setting's value came from: flag, config FILE:LINE, env VARIABLE or default, as --print-config says. */
    private String source(Setting<?> setting) {
        LayeredDefaults sources = defaults != null ? defaults
                : new LayeredDefaults(spec, GreylitedOptions.SETTINGS, ConfigFile.none(), env);
        return sources.source(spec.findOption(setting.flag()), spec.commandLine().getParseResult()).toString();
    }

    /**
     * Reads each setting's value as the model parses it.
     *
     * @throws IllegalArgumentException for the first that cannot be used, naming its flag or variable
     */
    private void readEverySetting(CommandLineSettings settings) {
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            Setting<?> setting = EffectiveConfig.settable(o) ? GreylitedOptions.SETTINGS.setting(o) : null;
            if (setting != null) {
                settings.get(setting);
            }
        }
    }

    /** A file a setting names cannot be read: the flag (or variable), the path and why, for the administrator. */
    private static IllegalArgumentException unreadable(CommandLineSettings settings, Setting<Path> setting,
                                                       IOException e) {
        return FileErrors.unreadable(settings.origin(setting), settings.get(setting), e);
    }

    /** The replies, the greylisting one as --greylist-reply (or its variable) says, a bad one named by its origin. */
    private static Replies replies(CommandLineSettings settings, String hostname) {
        try {
            return new Replies(hostname, settings.get(Settings.GREYLIST_REPLY));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(settings.origin(Settings.GREYLIST_REPLY) + ": " + e.getMessage(), e);
        }
    }

    /** The settings' values as the command line, the configuration file and the environment give them. */
    CommandLineSettings settings() {
        return new CommandLineSettings(spec, defaults);
    }

    GreylistSettings greylistSettings() {
        CommandLineSettings settings = settings();
        return new GreylistSettings(settings.get(Settings.MIN_DELAY), settings.get(Settings.RETRY_WINDOW),
                settings.get(Settings.WHITELIST_LIFETIME), settings.usage(Settings.CLIENT_KEY),
                !settings.get(Settings.FAIL_CLOSED))
                .withWhitelistMemory(settings.get(Settings.WHITELIST_MEMORY))
                .withMaxPending(settings.get(Settings.MAX_PENDING))
                .withAutoWhitelistPasses(settings.get(Settings.AUTO_WHITELIST_CLIENTS));
    }

    /**
     * What each session is made with: the replies (with {@code serverName}, greylited's name in them), the limits and
     * timeouts of the dialogue, the greeting delay, the RCPT order.
     */
    RelaySettings relaySettings(String serverName) {
        CommandLineSettings settings = settings();
        return new RelaySettings(settings.get(Settings.MAX_LINE), greetDelayMillis(), replies(settings, serverName),
                settings.get(Settings.JUNK_COMMAND_LIMIT), settings.get(Settings.SESSION_DEADLINE).toMillis(),
                settings.get(Settings.GREETING_TIMEOUT).toMillis(), settings.usage(Settings.RCPT_ORDER));
    }

    /** The greeting delay in ms; 0: none. */
    long greetDelayMillis() {
        long greetDelay = settings().get(Settings.GREET_DELAY);
        if (greetDelay < 0) {
            throw new IllegalArgumentException("--greet-delay must be 0 (off) or a number of milliseconds");
        }
        return greetDelay;
    }

    /** The environment the suspicion rules read, with GEOIPDB_FILE as --geoip-db (or the configuration file) says. */
    private Map<String, String> envWithGeoIp(CommandLineSettings settings) {
        Path geoipDb = settings.get(Settings.GEOIP_DB);
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
