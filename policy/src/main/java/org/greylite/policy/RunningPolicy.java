package org.greylite.policy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.greylite.config.FileErrors;
import org.greylite.config.GreydbFileCheck;
import org.greylite.connect.ConnectStage;
import org.greylite.connect.DnswlLookup;
import org.greylite.connect.PtrLookup;
import org.greylite.config.SuspicionSetup;
import org.greylite.config.TimerTasks;
import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.metrics.EngineSeries;
import org.greylite.metrics.MetricsEndpoint;
import org.greylite.net.HostPortValue;
import org.greylite.net.AddressText;
import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Program;
import org.greylite.settings.Setting;
import org.greylite.settings.SettingValues;
import org.greylite.settings.Settings;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreyliteImportRules;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoreException;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;

/**
 * The service once started from its options: greydb, rules, whitelists, listeners, the scheduled purge. The
 * building blocks are greylited's ({@link GreylistStores}, {@link SuspicionSetup}, {@link Environment},
 * {@link KnownSenders}), so the two read the same settings the same way.
 */
final class RunningPolicy implements AutoCloseable {

    static final Path POSTGREY_CONFIG = Path.of("/etc/postgrey");

    private final PolicyServer server;
    private final CompletableFuture<Throwable> servingFailed;
    private final PolicyDecisions decisions;
    private final ExecutorService pool;
    private final ScheduledExecutorService purge;
    private final MetricsEndpoint metricsEndpoint;
    private final PolicyRuleFiles files;
    private boolean closed;

    private RunningPolicy(PolicyServer server, PolicyDecisions decisions, ExecutorService pool,
                          ScheduledExecutorService purge, MetricsEndpoint metricsEndpoint, PolicyRuleFiles files,
                          CompletableFuture<Throwable> servingFailed) {
        this.servingFailed = servingFailed;
        this.files = files;
        this.server = server;
        this.decisions = decisions;
        this.pool = pool;
        this.purge = purge;
        this.metricsEndpoint = metricsEndpoint;
    }

    static RunningPolicy open(GreylitePolicy o, Map<String, String> env, Logger log) throws Exception {
        // The engine's options hold the flag, else the setting's variable, else the model's default (PolicyOptions).
        GreylistSettings settings = settings(o, env);
        GreydbLocation location;
        try {
            location = GreydbLocation.parse(o.db, env);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((o.given("--db") ? "--db: " : "DBFILE: ") + e.getMessage());
        }
        int dbConnections = o.dbConnections; // at least 1: the setting's parser refused less on the command line
        SettingValues values = o.settingValues();
        Duration busyTimeout = values.get(Settings.BUSY_TIMEOUT);
        Duration purgeInterval = values.get(Settings.PURGE_INTERVAL);
        String metricsAt = o.metrics;
        // Before the greydb is opened: a mistake in the address is the configuration's, not the start's.
        InetSocketAddress metricsAddress = metricsAt == null ? null
                : HostPortValue.parse(where(o, Settings.METRICS, "--metrics"), metricsAt, 9726);
        // Before the greydb is opened too: a text no reply line can hold is the configuration's mistake.
        Answers.checkOneLine("--greylist-action", PostgreyValues.orDefault(o.greylistAction, Answers.DEFAULT_ACTION));
        Answers.checkOneLine("--greylist-text", PostgreyValues.orDefault(o.greylistText, Answers.DEFAULT_TEXT));
        Answers.checkOneLine("--x-greylist-header", PostgreyValues.orDefault(o.header, Answers.DEFAULT_HEADER));
        Answers.checkTextFits(PostgreyValues.orDefault(o.greylistText, Answers.DEFAULT_TEXT));
        GreylistStore store = GreylistStores.open(location, new GreydbOptions(busyTimeout, dbConnections, env)
                .withGreyliteImport(new GreyliteImportRules(settings, Clock.systemUTC())));
        ExecutorService pool = null;
        ScheduledExecutorService purge = null;
        MetricsEndpoint metricsEndpoint = null;
        PolicyRuleFiles files = null;
        PolicyMetrics metrics = new PolicyMetrics();
        CompletableFuture<Throwable> servingFailed = new CompletableFuture<>();
        try {
            // First: a port that cannot be had stops the start before Postfix is answered.
            if (metricsAddress != null) {
                try {
                    metricsEndpoint = MetricsEndpoint.start(metricsAddress,
                            metrics.registry());
                } catch (IOException e) {
                    throw new IOException(where(o, Settings.METRICS, "--metrics") + ": " + e.getMessage(), e);
                }
                log.info("metrics on {}", metricsEndpoint.url());
            }
            Map<String, String> ruleEnv = new HashMap<>(env);
            if (o.geoipDb != null) {
                ruleEnv.put("GEOIPDB_FILE", o.geoipDb.toString());
            }
            SuspicionPolicy rules;
            try {
                rules = SuspicionSetup.load(o.suspicion, ruleEnv, log,
                        () -> metrics.engine().reloadFailed(EngineSeries.SUSPICION_FILE));
            } catch (IOException e) {
                throw FileErrors.unreadable(values.origin(Settings.SUSPICION), o.suspicion, e);
            }
            KnownSenders known;
            try {
                known = KnownSenders.load(!o.noShippedWhitelist, o.whitelistFiles);
            } catch (KnownSenders.UnreadableFile e) {
                throw FileErrors.unreadable(values.origin(Settings.WHITELIST_FILE), e.file(), e.reason());
            }
            known.problems().forEach(p -> log.error("known senders: {}", p)); // a line left out of the admin's file
            KnownSendersFiles knownFiles = new KnownSendersFiles(!o.noShippedWhitelist, o.whitelistFiles, known);
            try {
                files = new PolicyRuleFiles(rules, knownFiles, whitelistFiles(o.whitelistClients, "whitelist_clients"),
                        whitelistFiles(o.whitelistRecipients, "whitelist_recipients"), metrics.engine(), log);
            } catch (IOException e) {
                // A whitelist that exists and cannot be read: the configuration's mistake, not one a restart fixes.
                throw new IllegalArgumentException(e.getMessage(), e);
            }

            // greylited's lookups, bounded by --ptr-timeout: the PTR name only for a request without client_name.
            ConnectStage connect = new ConnectStage(o.settingValues(), log);
            DnswlLookup dnswl = connect.dnswlLookup();
            PtrLookup ptr = connect.ptrLookup();

            Clock clock = Clock.systemUTC();
            PolicyDecisions decisions = new PolicyDecisions(store, rules, settings, knownFiles, clock, metrics);
            // SQLite: decided on the I/O thread, one transaction per turn of its loop (DecisionTurn). PostgreSQL: one
            // thread per pooled connection.
            Executor decider;
            DecisionTurn turn = null;
            if (store.parallelism() > 1) {
                pool = Executors.newFixedThreadPool(dbConnections, daemonThreads("greydb"));
                decider = pool;
            } else {
                turn = new DecisionTurn(decisions);
                decider = turn;
            }
            Answers answers = new Answers(PostgreyValues.orDefault(o.greylistAction, Answers.DEFAULT_ACTION),
                    PostgreyValues.orDefault(o.greylistText, Answers.DEFAULT_TEXT),
                    o.noHeader ? null : PostgreyValues.orDefault(o.header, Answers.DEFAULT_HEADER), hostname(o, env), clock);
            PolicyServer server = new PolicyServer(
                    new PolicyService(decisions, files, answers, decider, metrics, dnswl, ptr,
                            new MessageMemory(System::nanoTime)), turn);
            if (o.exim) {
                server.oneAnswerPerConnection();
            }
            server.whenLoopFails(servingFailed::complete);
            if (o.inet != null) {
                server.listenTcp(PostgreyValues.inet(o.inet), o.listenQueueSize);
            }
            if (o.unix != null) {
                server.listenUnix(PostgreyValues.unixSocket(o.unix), PostgreyValues.socketMode(o.socketMode), o.listenQueueSize);
            }
            server.start();
            purge = Executors.newSingleThreadScheduledExecutor(daemonThreads("purge"));
            long every = purgeInterval.getSeconds();
            purge.scheduleWithFixedDelay(TimerTasks.outliving("the greydb purge", log,
                    () -> purge(decisions, metrics, log)), every, every, TimeUnit.SECONDS);
            // The store's methods take turns (SQLite's are synchronized), so the look at the file may run here, as
            // the purge does, between two decisions of the I/O thread.
            purge.scheduleWithFixedDelay(TimerTasks.outliving("the greydb file check", log,
                            new GreydbFileCheck(store, metrics.engine()::greydbFileReplaced, log)),
                    GreydbFileCheck.INTERVAL_SECONDS, GreydbFileCheck.INTERVAL_SECONDS, TimeUnit.SECONDS);
            InetSocketAddress tcp = server.tcpAddress();
            log.info("greylite-policy listening on{}{}; greydb {}; min-delay {}, retry-window {}, whitelist-lifetime {}, "
                            + "client key {}, auto-whitelist {}{}",
                    tcp == null ? "" : " " + AddressText.withPort(tcp),
                    o.unix == null ? "" : " unix:" + o.unix, store.describe(), Durations.format(settings.minDelay()),
                    Durations.format(settings.retryWindow()), Durations.format(settings.whitelistLifetime()),
                    settings.clientKeys().mode().name().toLowerCase(java.util.Locale.ROOT), autoWhitelist(settings),
                    settings.failOpen() ? "" : ", fail closed");
            return new RunningPolicy(server, decisions, pool, purge, metricsEndpoint, files, servingFailed);
        } catch (Exception | Error e) {
            if (files != null) {
                files.close();
            }
            if (pool != null) {
                pool.shutdownNow();
            }
            if (purge != null) {
                purge.shutdownNow();
            }
            if (metricsEndpoint != null) {
                metricsEndpoint.close();
            }
            store.close();
            throw e;
        }
    }

    /**
     * The files of {@code --whitelist-clients} or {@code --whitelist-recipients}, else postgrey's own: {@code NAME}
     * and {@code NAME.local} in /etc/postgrey, as postgrey reads them.
     */
    private static List<WhitelistFile> whitelistFiles(List<Path> named, String postgreyName) {
        if (!named.isEmpty()) {
            return named.stream().map(WhitelistFile::named).toList();
        }
        return List.of(WhitelistFile.postgreyDefault(POSTGREY_CONFIG.resolve(postgreyName)),
                WhitelistFile.postgreyDefault(POSTGREY_CONFIG.resolve(postgreyName + ".local")));
    }

    /**
     * Completes with the failure that stopped the service answering (its I/O loop ended, see
     * {@link PolicyServer#whenLoopFails}); never completes while it serves.
     */
    CompletableFuture<Throwable> servingFailed() {
        return servingFailed;
    }

    /** SIGHUP: the rule files read again (see {@link PolicyRuleFiles}). */
    void reload() {
        files.reload();
    }

    InetSocketAddress tcpAddress() {
        return server.tcpAddress();
    }

    /** What the unfinished requests of the open connections hold together (see {@link PolicyServer#MAX_UNFINISHED_BYTES}). */
    long unfinishedBytes() {
        return server.unfinishedBytes();
    }

    /** The most requests one connection had waiting to be decided at once (see {@link PolicyConnection#MAX_QUEUED}). */
    int mostWaiting() {
        return server.mostWaiting();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.close();
        files.close();
        purge.shutdownNow();
        if (pool != null) {
            pool.shutdown();
            try {
                pool.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        decisions.close();
        if (metricsEndpoint != null) {
            metricsEndpoint.close();
        }
    }

    /** The port metrics are served on, or -1 without --metrics. */
    int metricsPort() {
        return metricsEndpoint == null ? -1 : metricsEndpoint.port();
    }

    /**
     * The engine's settings from the options, which hold the flag, else the variable, else the model's default;
     * postgrey's flags, given, take the place of the engine's (read in postgrey's units). {@code env} is the one the
     * options were read with: postgrey's {@code --retry-window} has no default of its own, so without it the
     * model's setting is read from there.
     */
    static GreylistSettings settings(GreylitePolicy o, Map<String, String> env) {
        Duration retryWindow = o.retryWindow != null ? PostgreyValues.retryWindow(o.retryWindow)
                : new EnvironmentSettings(env, Program.POLICY).get(Settings.RETRY_WINDOW);
        if (o.maxAgeDays != null && o.given("--whitelist-lifetime")) {
            throw new IllegalArgumentException("--max-age (days) and --whitelist-lifetime say the same thing: give one");
        }
        Duration lifetime = o.maxAgeDays != null ? PostgreyValues.days("--max-age", o.maxAgeDays)
                : parse(where(o, Settings.WHITELIST_LIFETIME, "--whitelist-lifetime"), o.whitelistLifetime);
        // --max-pending and --auto-whitelist-clients were checked by their settings' parsers on the command line.
        return new GreylistSettings(parse(where(o, Settings.MIN_DELAY, "--delay"), o.delay), retryWindow, lifetime,
                clientKeys(o), !o.failClosed)
                .withWhitelistMemory(parse(where(o, Settings.WHITELIST_MEMORY, "--whitelist-memory"),
                        o.whitelistMemory))
                .withMaxPending(o.maxPending).withAutoWhitelistPasses(o.autoWhitelistClients);
    }

    /**
     * What a bad value is said under: {@code flag} when it was given (postgrey's {@code --delay} as it was typed),
     * else where the value came from, the setting's variable as greylited and greydaemon name it (the flag, which
     * nobody gave, sent the administrator looking for it on the command line).
     */
    private static String where(GreylitePolicy o, Setting<?> setting, String flag) {
        return o.given(flag) ? flag : o.settingValues().origin(setting);
    }

    /** For the start's log line: when a client goes on the auto-whitelist. */
    private static String autoWhitelist(GreylistSettings s) {
        int n = s.autoWhitelistPasses();
        return n == 0 ? "off" : n == 1 ? "at the first pass" : "after " + n + " passed triplets";
    }

    private static ClientKeys clientKeys(GreylitePolicy o) {
        if (o.given("--client-key") && (o.lookupByHost || o.lookupBySubnet)) {
            throw new IllegalArgumentException("--client-key and postgrey's --lookup-by-host/--lookup-by-subnet each "
                    + "choose the client key: give one");
        }
        // postgrey takes both of its own flags, and --lookup-by-host wins: --lookup-by-subnet is its default.
        ClientKeys.Mode mode = o.lookupByHost ? ClientKeys.Mode.IP : o.lookupBySubnet ? ClientKeys.Mode.NET
                : parseKey(where(o, Settings.CLIENT_KEY, "--client-key"), o.clientKey).mode();
        try {
            return new ClientKeys(mode, o.ipv4Cidr, o.ipv6Cidr);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ipv4cidr/--ipv6cidr: " + e.getMessage());
        }
    }

    private static ClientKeys parseKey(String where, String text) {
        try {
            return ClientKeys.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static Duration parse(String where, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static String hostname(GreylitePolicy o, Map<String, String> env) {
        if (o.hostname != null) {
            return o.hostname;
        }
        String h = env.get("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    private static void purge(PolicyDecisions decisions, PolicyMetrics metrics, Logger log) {
        try {
            int n = decisions.purgeExpired();
            if (n > 0) {
                log.info("purge: {} expired greydb row(s) removed", n);
            }
        } catch (StoreException e) {
            metrics.engine().purgeFailed();
            log.error("purge of the greydb failed: {}", e.getMessage());
        }
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
