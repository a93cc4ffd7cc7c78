package org.greylite.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.greylite.config.Environment;
import org.greylite.config.SuspicionSetup;
import org.greylite.connect.AccessPolicy;
import org.greylite.connect.DnsServers;
import org.greylite.connect.PtrLookup;
import org.greylite.connect.ReloadingAccessRules;
import org.greylite.daemon.config.ConfigFile;
import org.greylite.daemon.config.EffectiveConfig;
import org.greylite.daemon.config.LayeredDefaults;
import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.relay.ExecutorRcptPolicy;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.Replies;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbOptions;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.store.StoreException;
import org.greylite.suspicion.ReloadingSuspicionPolicy;
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
 * configuration file ({@code --config}); where greylite(8) has an environment variable for it, the variable
 * is read too. Flag, then configuration file, then variable, then built-in default ({@link GreylitedCommand}).
 * Each option's stage and variable are in {@link GreylitedOptions}; {@code docs/configuration.md} is
 * generated from these declarations ({@code --print-reference}).
 */
@Command(name = "greylited", mixinStandardHelpOptions = true, sortOptions = false,
        version = "greylited 0.1.0",
        description = {
            "Greylisting reverse proxy: put it in front of any SMTP server.",
            "Without --upstream it starts a demo upstream that saves mail in a folder, and keeps its greydb "
                    + "in the working directory."
        })
public final class Greylited implements Callable<Integer> {

    static final String DEFAULT_DB = Environment.DEFAULT_DBFILE;
    static final String DEMO_DB = "greylite-demo.db";

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:2525",
            description = "Address to accept SMTP clients on (default ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--upstream", paramLabel = "HOST:PORT",
            description = "The SMTP server to relay to. Without it, a demo upstream is started.")
    String upstream;

    @Option(names = "--db", paramLabel = "FILE|URL",
            description = "greydb: an SQLite file, created when new, or a PostgreSQL greydb shared by several MX hosts, "
                    + "postgresql://USER@HOST[:PORT]/DATABASE (password from $PGPASSWORD or ~/.pgpass; tables created "
                    + "when missing) (default $DBFILE, else " + DEFAULT_DB
                    + "; in demo mode ./" + DEMO_DB + ").")
    String db;

    @Option(names = "--suspicion", paramLabel = "FILE",
            description = "Suspicion rules file (default $SUSPICION); reloaded when it changes and on SIGHUP.")
    Path suspicion;

    @Option(names = "--access", paramLabel = "FILE",
            description = "Access rules in tcprules' text format (e.g. /etc/tcp.smtp): '1.2.3.:allow,RELAYCLIENT=\"\"' "
                    + "sets variables for a client's session, 'deny' refuses it with 554; the most specific address "
                    + "wins. Reloaded when it changes and on SIGHUP.")
    Path access;

    @Option(names = "--accept-proxy-protocol", paramLabel = "CIDR", split = "[\\s,]+", splitSynopsisLabel = ",",
            description = "Behind a load balancer: a connection from these addresses or blocks (e.g. "
                    + "10.0.0.0/8,192.0.2.7) must begin with a PROXY protocol header, v1 or v2 (HAProxy's send-proxy), "
                    + "and the client it names is the one greylisted, checked against --access, looked up, logged and "
                    + "passed upstream; v2 LOCAL (health checks) and v1 UNKNOWN leave the load balancer as the client. "
                    + "A missing, bad or late (5s) header closes the connection without a reply. From any other "
                    + "address a header is not believed: the connection is its own client, and a PROXY line gets 550 "
                    + "like any command a client may not send (default: none).")
    List<String> acceptProxyProtocol = new java.util.ArrayList<>();

    @Option(names = "--dns", paramLabel = "IP[:PORT]", split = "[\\s,]+", splitSynopsisLabel = ",",
            description = "DNS resolver for the clients' PTR names; repeat, or separate by commas or spaces, for "
                    + "more than one (default $DNSCACHEIP, space-separated, else the system's).")
    List<String> dns;

    @Option(names = "--dnswl", paramLabel = "ZONE[=THRESHOLD]", split = "[\\s,]+", splitSynopsisLabel = ",",
            description = "DNS whitelist: a client listed in ZONE with a trust level (the answer's last octet, as "
                    + "list.dnswl.org encodes it) of at least THRESHOLD (default 0) is not greylisted. Repeatable.")
    List<String> dnswl = new java.util.ArrayList<>();

    @Option(names = "--ptr-timeout", paramLabel = "DURATION", defaultValue = "5s",
            description = "Bound on a client's PTR lookup and its forward confirmation, which run while the session "
                    + "goes on; a RCPT waits for it at most this long. 0 turns lookups off: r lines then see "
                    + "every client's name as empty (default ${DEFAULT-VALUE}; 500ms works too).")
    String ptrTimeout;

    @Option(names = "--min-delay", paramLabel = "DURATION",
            description = "A retry sooner than this after the last refusal is refused again, uncounted "
                    + "(default $GREYLITE_MIN_DELAY, else 5m). 0 gives greylite 2.3's count-only behaviour.")
    String minDelay;

    @Option(names = "--retry-window", paramLabel = "DURATION",
            description = "A triplet that has not passed is forgotten this long after its first attempt "
                    + "(default $GREYLITE_RETRY_WINDOW, else 24h).")
    String retryWindow;

    @Option(names = "--whitelist-lifetime", paramLabel = "DURATION",
            description = "Passed triplets and auto-whitelisted clients are kept this long after their last delivery "
                    + "(default $GREYLITE_WHITELIST_LIFETIME, else 36d).")
    String whitelistLifetime;

    @Option(names = "--whitelist-memory", paramLabel = "DURATION",
            description = "A client the greydb found on the whitelist is answered from memory for this long, "
                    + "500ms or 2s say, without asking the greydb again (default 1s); 0 asks it at every RCPT.")
    String whitelistMemory;

    @Option(names = "--greet-delay", paramLabel = "MS",
            description = "Hold the greeting this long, without connecting upstream; 0 disables "
                    + "(default: $GREETDELAY if set: its value if a positive integer, else 6000; otherwise 0).")
    Long greetDelay;

    @Option(names = "--client-key", paramLabel = "ip|net|smart", defaultValue = "smart",
            description = "What identifies a client in triplets and on the auto-whitelist: its exact address (ip), "
                    + "its network, /24 IPv4 or /64 IPv6 (net), or the registrable domain of its confirmed, "
                    + "not dynamic-looking PTR name, else its network (smart) (default ${DEFAULT-VALUE}).")
    String clientKey;

    @Option(names = "--max-line", paramLabel = "BYTES", defaultValue = "4096",
            description = "Longest command line accepted; longer ones get 500 5.5.2 (default ${DEFAULT-VALUE}).")
    int maxLine;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "5m",
            description = "A client silent this long while the proxy waits for it gets 421 (default ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(names = "--upstream-timeout", paramLabel = "DURATION", defaultValue = "10m",
            description = "An upstream silent this long while a reply is owed is given up; the client gets 421 "
                    + "(default ${DEFAULT-VALUE}).")
    String upstreamTimeout;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long to try connecting upstream before the client gets 421 (default ${DEFAULT-VALUE}).")
    String connectTimeout;

    @Option(names = "--upstream-proxy-protocol", paramLabel = "off|v1|v2", defaultValue = "off",
            description = "Send the upstream a PROXY protocol header (HAProxy's, version 1 text or version 2 binary) "
                    + "first on each connection, so it sees the real client address (Postfix: "
                    + "smtpd_upstream_proxy_protocol = haproxy) (default ${DEFAULT-VALUE}).")
    String upstreamProxyProtocol;

    @Option(names = "--upstream-xclient",
            description = "Tell the upstream the real client (address, confirmed name, HELO) with Postfix's XCLIENT "
                    + "command at the client's first HELO/EHLO, when the upstream offers it (Postfix: "
                    + "smtpd_authorized_xclient_hosts must list this host).")
    boolean upstreamXclient;

    @Option(names = "--upstream-tls", paramLabel = "off|starttls", defaultValue = "off",
            description = "starttls: on each upstream connection, say EHLO and STARTTLS and start TLS before the client "
                    + "hears the greeting, so the whole session goes to the upstream encrypted; an upstream that does not "
                    + "offer STARTTLS, or fails the handshake, gets the client a 421 and a log line (default ${DEFAULT-VALUE}).")
    String upstreamTls;

    @Option(names = "--upstream-tls-ca", paramLabel = "FILE",
            description = "With --upstream-tls starttls: CA certificates (PEM) the upstream's certificate must chain to; "
                    + "it must also name the --upstream host (DNS name or IP address). Without it the upstream's "
                    + "certificate is not checked: encryption without authentication, as fits a next hop of the same site.")
    Path upstreamTlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "greylited's certificate, PEM, with its chain after it (certbot's fullchain.pem). With --tls-key, "
                    + "clients are offered STARTTLS, and greylited terminates TLS itself to greylist on the decrypted "
                    + "envelope; without them STARTTLS is not offered (a client's STARTTLS gets 454).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "The certificate's private key, PEM, unencrypted: PKCS#8 (BEGIN PRIVATE KEY) or the "
                    + "traditional RSA or EC form. Read at start and again on SIGHUP (new sessions get the renewed certificate).")
    Path tlsKey;

    @Option(names = "--fail-closed",
            description = "On a greydb error answer 451 instead of accepting the mail (the default fails open).")
    boolean failClosed;

    @Option(names = "--greylist-reply", paramLabel = "TEXT", defaultValue = Replies.DEFAULT_GREYLIST,
            description = "Reply to a greylisted RCPT; {rcpt} and {seconds} are replaced; 'disguise' picks an ordinary-looking "
                    + "temporary failure at random, as greylite did (default '${DEFAULT-VALUE}').")
    String greylistReply;

    @Option(names = "--hostname", paramLabel = "NAME",
            description = "Name the proxy gives in its own 421 replies (default: the local host name).")
    String hostname;

    @Option(names = "--busy-timeout", paramLabel = "DURATION", defaultValue = "5s",
            description = "How long a greydb operation may wait: for another process's lock (SQLite); for the server, "
                    + "a connection or a lock (PostgreSQL), so an RCPT is not held much longer by a greydb that is down "
                    + "(default ${DEFAULT-VALUE}).")
    String busyTimeout;

    @Option(names = "--db-connections", paramLabel = "N", defaultValue = "8",
            description = "PostgreSQL greydb: connections in the pool, and RCPTs decided at once (default "
                    + "${DEFAULT-VALUE}). An SQLite greydb uses one.")
    int dbConnections;

    @Option(names = "--purge-interval", paramLabel = "DURATION", defaultValue = "10m",
            description = "How often expired greydb rows are removed (default ${DEFAULT-VALUE}).")
    String purgeInterval;

    @Option(names = "--stop-grace", paramLabel = "DURATION", defaultValue = "30s",
            description = "On SIGTERM, how long sessions in flight may take to finish (default ${DEFAULT-VALUE}).")
    String stopGrace;

    @Option(names = "--io-threads", paramLabel = "N",
            description = "Network threads, each carrying both connections of its sessions (default: one per core, "
                    + "as HAProxy's; fewer leave more CPU to a mail server on the same host).")
    Integer ioThreads;

    @Option(names = "--whitelist-file", paramLabel = "FILE", split = "[\\s,]+", splitSynopsisLabel = ",",
            description = "Known senders that skip greylisting, one 'suffix|regex|cidr VALUE REASON' per line "
                    + "(repeatable; added to the shipped list of pool senders).")
    java.util.List<Path> whitelistFiles = new java.util.ArrayList<>();

    @Option(names = "--no-shipped-whitelist",
            description = "Leave out the shipped list of known pool senders (examples/whitelist/known-senders.whitelist).")
    boolean noShippedWhitelist;

    @Option(names = "--demo-mail", paramLabel = "DIR", defaultValue = "demo-mail",
            description = "Demo mode: where the demo upstream saves messages (default ./${DEFAULT-VALUE}).")
    Path demoMail;

    @Option(names = "--geoip-db", paramLabel = "FILE",
            description = "GeoIP country database for g lines, legacy .dat or MaxMind .mmdb "
                    + "(default $GEOIPDB_FILE, else /usr/local/share/GeoIP/GeoIP.dat); read again on SIGHUP.")
    Path geoipDb;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics: connections, sessions, RCPT "
                    + "verdicts by reason, greydb and upstream errors, decision latency (default: off).")
    String metrics;

    @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text",
            description = "Log lines as text, or as one JSON object each, the text in formattedMessage "
                    + "(default ${DEFAULT-VALUE}).")
    String logFormat;

    @Option(names = "--log-threshold", paramLabel = "0-7", defaultValue = "6",
            description = "Least important messages reported, as syslog priorities: 3 errors, 4 warnings, 6 every "
                    + "decision and session, 7 debug (default $LOGTHRESHOLD, else ${DEFAULT-VALUE}).")
    int logThreshold;

    @Option(names = "--log-pid",
            description = "Start each log line with the process id (default: on when $LOGPID is set).")
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
                    : new LayeredDefaults(spec, GreylitedOptions.CATALOG, ConfigFile.none(), env);
            EffectiveConfig.print(spec, spec.commandLine().getParseResult(), GreylitedOptions.CATALOG, sources,
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
                new Replies(hostname != null ? hostname : localHostName(), greylistReply));
        // Before anything is opened: a certificate that cannot be used stops greylited here.
        TlsSetup tls = TlsSetup.of(tlsCert, tlsKey, upstreamTls, upstreamTlsCa, log);

        DemoUpstream demo = null;
        InetSocketAddress upstreamAddress;
        String dbWhere = db != null ? db : env.containsKey("DBFILE") ? env.get("DBFILE") : null;
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
            dbWhere = DEFAULT_DB;
        }

        GreylistStore store;
        try {
            GreydbLocation location;
            try {
                location = GreydbLocation.parse(dbWhere);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException((db != null ? "--db: " : "DBFILE: ") + e.getMessage());
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
        SuspicionPolicy rules = SuspicionSetup.load(suspicionFile(), envWithGeoIp(), log);
        ReloadingAccessRules accessRules = access == null ? null : new ReloadingAccessRules(access, Clock.systemUTC());
        PtrLookup ptr = ptrLookup(log);
        org.greylite.greylist.KnownSenders known = org.greylite.greylist.KnownSenders.load(!noShippedWhitelist, whitelistFiles);
        known.problems().forEach(p -> log.warn("known senders: {}", p));
        log.info("known senders: {} entries{}", known.size(), noShippedWhitelist ? "" : " (shipped list included)");
        Greylister greylister = new Greylister(store, rules, greylist, Clock.systemUTC(),
                new DecisionLog().andThen(metricsRegistry), known);
        // SQLite: one thread owns the connection, decisions and the purge never run at once. PostgreSQL: one
        // thread per pooled connection; the store makes concurrent decisions on one triplet take turns.
        ScheduledExecutorService greydb = store.parallelism() > 1
                ? Executors.newScheduledThreadPool(store.parallelism(), ProxyServer.daemonThreads("greydb"))
                : Executors.newSingleThreadScheduledExecutor(ProxyServer.daemonThreads("greydb"));
        followFiles(rules, accessRules);
        long purgeSeconds = Durations.parse(purgeInterval).getSeconds();
        greydb.scheduleWithFixedDelay(() -> purge(greylister, metricsRegistry, log), purgeSeconds, purgeSeconds, TimeUnit.SECONDS);

        ProxyServer.Builder b = ProxyServer.builder()
                .listen(HostPort.parse(listen, "--listen"))
                .upstream(upstreamAddress)
                .policy(metricsRegistry.timed(new ExecutorRcptPolicy(greylister, greydb)))
                .events(metricsRegistry)
                .access(accessRules != null ? accessRules : AccessPolicy.ALLOW_ALL)
                .ptrLookup(ptr)
                .dnswl(dnswlLookup(log))
                .relaySettings(relay)
                .idleTimeout(Durations.parse(idleTimeout))
                .upstreamTimeout(Durations.parse(upstreamTimeout))
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
        Hangup.onHangup(() -> reload(rules, accessRules, tls.client(), log), log);
        // Metrics first: a port that cannot be had stops greylited before it takes any client.
        MetricsEndpoint metricsEndpoint = null;
        if (metrics != null) {
            metricsEndpoint = MetricsEndpoint.start(HostPort.parse(metrics, "--metrics"), metricsRegistry.registry());
            log.info("metrics on {}", metricsEndpoint.url());
        }
        ProxyServer server = b.build().start();
        log.info("greydb {}; min-delay {}, retry-window {}, whitelist-lifetime {}, client key {}, greeting delay {} ms{}",
                store.describe(), Durations.format(greylist.minDelay()), Durations.format(greylist.retryWindow()),
                Durations.format(greylist.whitelistLifetime()), clientKey, relay.greetDelayMillis(),
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
            greydb.shutdown();
            try {
                greydb.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            store.close();
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

    /**
     * The suspicion and access files are looked at by a timer of their own, never by a decision or a connection:
     * those paths stay pure and in memory, and a slow disk or a large file delays no client.
     */
    private static void followFiles(SuspicionPolicy rules, ReloadingAccessRules accessRules) {
        if (!(rules instanceof ReloadingSuspicionPolicy) && accessRules == null) {
            return;
        }
        ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor(
                ProxyServer.daemonThreads("greylited-files"));
        watcher.scheduleWithFixedDelay(() -> {
            if (rules instanceof ReloadingSuspicionPolicy followed) {
                followed.checkForChanges();
            }
            if (accessRules != null) {
                accessRules.checkForChanges();
            }
        }, ReloadingSuspicionPolicy.CHECK_INTERVAL_MILLIS, ReloadingSuspicionPolicy.CHECK_INTERVAL_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /**
     * SIGHUP: read the rule files again, the GeoIP database and the TLS certificate. Sessions go on; each RCPT
     * uses the rules in force when it is decided, each new session the certificate in force when it starts.
     */
    private static void reload(SuspicionPolicy rules, ReloadingAccessRules accessRules, ServerCertificate certificate,
                               Logger log) {
        if (!(rules instanceof ReloadingSuspicionPolicy) && accessRules == null && certificate == null) {
            log.info("SIGHUP: no suspicion file, access file or certificate to reload");
            return;
        }
        log.info("SIGHUP: reloading the rule files{}", certificate != null ? " and the TLS certificate" : "");
        if (rules instanceof ReloadingSuspicionPolicy suspicionRules) {
            suspicionRules.reload();
        }
        if (accessRules != null) {
            accessRules.reload();
        }
        if (certificate != null) {
            certificate.reload(log);
        }
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
        Duration timeout = millisOrDuration(ptrTimeout, "--ptr-timeout");
        org.greylite.connect.DnswlLookup lookup = org.greylite.connect.DnswlLookup.create(zones, dnsServers(),
                timeout.isZero() ? Duration.ofSeconds(5) : timeout);
        log.info("{}", lookup);
        return lookup;
    }

    /** --dns, else DNSCACHEIP, else (empty) the system's resolver. */
    private List<java.net.InetSocketAddress> dnsServers() {
        if (dns != null && !dns.isEmpty()) {
            return dns.stream().map(d -> DnsServers.parse(d, "--dns")).toList();
        }
        String v = env.get("DNSCACHEIP");
        return v == null || v.isBlank() ? List.of() : DnsServers.parseList(v, "DNSCACHEIP");
    }

    /** The PTR lookups, or null when --ptr-timeout is 0. */
    private PtrLookup ptrLookup(Logger log) {
        Duration timeout = millisOrDuration(ptrTimeout, "--ptr-timeout");
        if (timeout.isZero()) {
            log.info("PTR lookups off (--ptr-timeout 0): r lines see every client's name as empty");
            return null;
        }
        PtrLookup lookup = PtrLookup.create(dnsServers(), timeout);
        log.info("{}", lookup.describe());
        return lookup;
    }

    /** A duration as {@link Durations} reads it, or milliseconds written {@code 500ms}. */
    private static Duration millisOrDuration(String text, String flag) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                String digits = t.substring(0, t.length() - 2);
                if (!digits.matches("[0-9]{1,9}")) {
                    throw new IllegalArgumentException("bad duration '" + text + "'");
                }
                return Duration.ofMillis(Long.parseLong(digits));
            }
            return Durations.parse(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage());
        }
    }

    private static void purge(Greylister greylister, ProxyMetrics metrics, Logger log) {
        try {
            int n = greylister.purgeExpired();
            if (n > 0) {
                log.info("purge: {} expired greydb row(s) removed", n);
            }
        } catch (StoreException e) {
            metrics.purgeFailed();
            log.error("purge failed: {}", e.getMessage());
        }
    }

    GreylistSettings greylistSettings() {
        ClientKeys keys;
        try {
            keys = ClientKeys.parse(clientKey);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--client-key: " + e.getMessage());
        }
        return new GreylistSettings(
                duration(minDelay, "GREYLITE_MIN_DELAY", GreylistSettings.DEFAULT_MIN_DELAY),
                duration(retryWindow, "GREYLITE_RETRY_WINDOW", GreylistSettings.DEFAULT_RETRY_WINDOW),
                duration(whitelistLifetime, "GREYLITE_WHITELIST_LIFETIME", GreylistSettings.DEFAULT_WHITELIST_LIFETIME),
                keys, !failClosed)
                .withWhitelistMemory(whitelistMemory == null ? GreylistSettings.DEFAULT_WHITELIST_MEMORY
                        : millisOrDuration(whitelistMemory, "--whitelist-memory"));
    }

    private Duration duration(String flag, String variable, Duration fallback) {
        return flag != null ? Durations.parse(flag) : Environment.duration(env, variable, fallback);
    }

    /** GREETDELAY: set means on; a positive integer value is the delay in ms, anything else the default. */
    long greetDelayMillis() {
        if (greetDelay != null) {
            if (greetDelay < 0) {
                throw new IllegalArgumentException("--greet-delay must be 0 (off) or a number of milliseconds");
            }
            return greetDelay;
        }
        return Environment.greetDelayMillis(env);
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

    private Path suspicionFile() {
        return suspicion != null ? suspicion : Environment.suspicionFile(env);
    }

    private String localHostName() {
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
}
