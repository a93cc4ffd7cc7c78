package org.greylite.policy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.greylite.config.GreydbFileCheck;
import org.greylite.config.SuspicionSetup;
import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Program;
import org.greylite.settings.Settings;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoreException;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;

/**
 * The service once started from its options: greydb, rules, whitelists, listeners, the scheduled purge. The
 * building blocks are greylited's ({@link GreylistStores}, {@link SuspicionSetup}, {@link Environment},
 * {@link KnownSenders}), so the two read the same settings the same way.
 */
final class RunningPolicy implements AutoCloseable {

    static final Path POSTGREY_CONFIG = Path.of("/etc/postgrey");

    private final PolicyServer server;
    private final PolicyDecisions decisions;
    private final ExecutorService pool;
    private final ScheduledExecutorService purge;
    private final HTTPServer metricsEndpoint;
    private final PolicyRuleFiles files;
    private boolean closed;

    private RunningPolicy(PolicyServer server, PolicyDecisions decisions, ExecutorService pool,
                          ScheduledExecutorService purge, HTTPServer metricsEndpoint, PolicyRuleFiles files) {
        this.files = files;
        this.server = server;
        this.decisions = decisions;
        this.pool = pool;
        this.purge = purge;
        this.metricsEndpoint = metricsEndpoint;
    }

    static RunningPolicy open(GreylitePolicy o, Map<String, String> env, Logger log) throws Exception {
        // The engine's settings as the model declares them for this program: its variables, then its defaults;
        // a flag, where given, wins over both.
        EnvironmentSettings model = new EnvironmentSettings(env, Program.POLICY);
        GreylistSettings settings = settings(o, model);
        GreydbLocation location;
        try {
            location = GreydbLocation.parse(o.db != null ? o.db : model.get(Settings.DB));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((o.db != null ? "--db: " : "DBFILE: ") + e.getMessage());
        }
        // --busy-timeout, --db-connections, --purge-interval, --metrics: the flag, else the variable, else the
        // model's default, as ModelDefaults gave them to the options.
        int dbConnections = o.dbConnections;
        if (dbConnections < 1) {
            throw new IllegalArgumentException("--db-connections must be at least 1");
        }
        Duration busyTimeout = parse("--busy-timeout", o.busyTimeout);
        Duration purgeInterval = parse("--purge-interval", o.purgeInterval);
        String metricsAt = o.metrics;
        GreylistStore store = GreylistStores.open(location, new GreydbOptions(busyTimeout, dbConnections, env));
        ExecutorService pool = null;
        ScheduledExecutorService purge = null;
        HTTPServer metricsEndpoint = null;
        PolicyRuleFiles files = null;
        PolicyMetrics metrics = new PolicyMetrics();
        try {
            // First: a port that cannot be had stops the start before Postfix is answered.
            if (metricsAt != null) {
                metricsEndpoint = metrics.serve(PostgreyValues.hostPort("--metrics", metricsAt));
                log.info("metrics on http://{}:{}/metrics", metricsAt.substring(0, metricsAt.lastIndexOf(':')),
                        metricsEndpoint.getPort());
            }
            Map<String, String> ruleEnv = new HashMap<>(env);
            if (o.geoipDb != null) {
                ruleEnv.put("GEOIPDB_FILE", o.geoipDb.toString());
            }
            SuspicionPolicy rules = SuspicionSetup.load(o.suspicion != null ? o.suspicion : model.get(Settings.SUSPICION),
                    ruleEnv, log);
            List<Path> knownFiles = !o.whitelistFiles.isEmpty() ? o.whitelistFiles : model.get(Settings.WHITELIST_FILE);
            KnownSenders known = KnownSenders.load(!(o.noShippedWhitelist || model.get(Settings.NO_SHIPPED_WHITELIST)),
                    knownFiles == null ? List.of() : knownFiles);
            known.problems().forEach(p -> log.warn("known senders: {}", p));
            List<Path> clientFiles = !o.whitelistClients.isEmpty() ? o.whitelistClients : GreylitePolicy.existing(
                    POSTGREY_CONFIG.resolve("whitelist_clients"), POSTGREY_CONFIG.resolve("whitelist_clients.local"));
            List<Path> recipientFiles = !o.whitelistRecipients.isEmpty() ? o.whitelistRecipients : GreylitePolicy.existing(
                    POSTGREY_CONFIG.resolve("whitelist_recipients"), POSTGREY_CONFIG.resolve("whitelist_recipients.local"));
            files = new PolicyRuleFiles(rules, clientFiles, recipientFiles, log);

            Clock clock = Clock.systemUTC();
            PolicyDecisions decisions = new PolicyDecisions(store, rules, settings, known, clock, metrics);
            // SQLite: decided on the I/O thread (see PolicyServer). PostgreSQL: one thread per pooled connection.
            Executor decider = Runnable::run;
            if (store.parallelism() > 1) {
                pool = Executors.newFixedThreadPool(dbConnections, daemonThreads("greydb"));
                decider = pool;
            }
            Answers answers = new Answers(o.greylistAction, o.greylistText, o.noHeader ? null : o.header,
                    hostname(o, env), clock);
            PolicyServer server = new PolicyServer(new PolicyService(decisions, files, answers, decider, metrics));
            if (o.inet != null) {
                server.listenTcp(PostgreyValues.inet(o.inet), o.listenQueueSize);
            }
            if (o.unix != null) {
                server.listenUnix(o.unix, PostgreyValues.socketMode(o.socketMode), o.listenQueueSize);
            }
            server.start();
            purge = Executors.newSingleThreadScheduledExecutor(daemonThreads("purge"));
            long every = purgeInterval.getSeconds();
            purge.scheduleWithFixedDelay(() -> purge(decisions, metrics, log), every, every, TimeUnit.SECONDS);
            // The store's methods take turns (SQLite's are synchronized), so the look at the file may run here, as
            // the purge does, between two decisions of the I/O thread.
            purge.scheduleWithFixedDelay(new GreydbFileCheck(store, metrics::greydbFileReplaced, log),
                    GreydbFileCheck.INTERVAL_SECONDS, GreydbFileCheck.INTERVAL_SECONDS, TimeUnit.SECONDS);
            InetSocketAddress tcp = server.tcpAddress();
            log.info("greylite-policy listening on{}{}; greydb {}; min-delay {}, retry-window {}, whitelist-lifetime {}, "
                            + "client key {}, auto-whitelist {}{}",
                    tcp == null ? "" : " " + tcp.getAddress().getHostAddress() + ":" + tcp.getPort(),
                    o.unix == null ? "" : " unix:" + o.unix, store.describe(), Durations.format(settings.minDelay()),
                    Durations.format(settings.retryWindow()), Durations.format(settings.whitelistLifetime()),
                    settings.clientKeys().mode().name().toLowerCase(java.util.Locale.ROOT), autoWhitelist(settings),
                    settings.failOpen() ? "" : ", fail closed");
            return new RunningPolicy(server, decisions, pool, purge, metricsEndpoint, files);
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

    /** SIGHUP: the rule files read again (see {@link PolicyRuleFiles}). */
    void reload() {
        files.reload();
    }

    InetSocketAddress tcpAddress() {
        return server.tcpAddress();
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
        return metricsEndpoint == null ? -1 : metricsEndpoint.getPort();
    }

    /** {@link #settings(GreylitePolicy, EnvironmentSettings)} with {@code env} read as greylite-policy reads it. */
    static GreylistSettings settings(GreylitePolicy o, Map<String, String> env) {
        return settings(o, new EnvironmentSettings(env, Program.POLICY));
    }

    /**
     * The engine's settings: the model's defaults and the GREYLITE_* variables for greylite-policy, then the flags
     * (postgrey's and the engine's own).
     */
    static GreylistSettings settings(GreylitePolicy o, EnvironmentSettings model) {
        GreylistSettings s = model.greylist();
        if (o.delay != null) {
            s = s.withMinDelay(parse("--delay", o.delay));
        }
        if (o.retryWindow != null) {
            s = s.withRetryWindow(PostgreyValues.retryWindow(o.retryWindow));
        }
        if (o.maxAgeDays != null && o.whitelistLifetime != null) {
            throw new IllegalArgumentException("--max-age (days) and --whitelist-lifetime say the same thing: give one");
        }
        if (o.maxAgeDays != null) {
            s = s.withWhitelistLifetime(PostgreyValues.days("--max-age", o.maxAgeDays));
        }
        if (o.whitelistLifetime != null) {
            s = s.withWhitelistLifetime(parse("--whitelist-lifetime", o.whitelistLifetime));
        }
        s = s.withWhitelistMemory(parse("--whitelist-memory", o.whitelistMemory));
        if (o.maxPending < 0) {
            throw new IllegalArgumentException("--max-pending must be 0 (no cap) or more, not " + o.maxPending);
        }
        s = s.withMaxPending(o.maxPending);
        if (o.autoWhitelistClients != null) {
            if (o.autoWhitelistClients < 0) {
                throw new IllegalArgumentException("--auto-whitelist-clients must be 0 (off) or more, not "
                        + o.autoWhitelistClients);
            }
            s = s.withAutoWhitelistPasses(o.autoWhitelistClients);
        }
        s = s.withClientKeys(clientKeys(o, s.clientKeys()));
        // The flag can only close: without it, GREYLITE_FAIL_CLOSED (read by the model) decides.
        return o.failClosed ? s.withFailOpen(false) : s;
    }

    /** For the start's log line: when a client goes on the auto-whitelist. */
    private static String autoWhitelist(GreylistSettings s) {
        int n = s.autoWhitelistPasses();
        return n == 0 ? "off" : n == 1 ? "at the first pass" : "after " + n + " passed triplets";
    }

    private static ClientKeys clientKeys(GreylitePolicy o, ClientKeys fromEnv) {
        int chosen = (o.clientKey != null ? 1 : 0) + (o.lookupByHost ? 1 : 0) + (o.lookupBySubnet ? 1 : 0);
        if (chosen > 1) {
            throw new IllegalArgumentException("--client-key, --lookup-by-host and --lookup-by-subnet each choose the "
                    + "client key: give one");
        }
        ClientKeys.Mode mode = o.lookupByHost ? ClientKeys.Mode.IP : o.lookupBySubnet ? ClientKeys.Mode.NET
                : o.clientKey != null ? parseKey(o.clientKey).mode() : fromEnv.mode();
        try {
            return new ClientKeys(mode, o.ipv4Cidr, o.ipv6Cidr);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ipv4cidr/--ipv6cidr: " + e.getMessage());
        }
    }

    private static ClientKeys parseKey(String text) {
        try {
            return ClientKeys.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--client-key: " + e.getMessage());
        }
    }

    private static Duration parse(String flag, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage());
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
            metrics.purgeFailed();
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
