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
import org.greylite.config.Logging;
import org.greylite.config.SuspicionSetup;
import org.greylite.connect.AccessPolicy;
import org.greylite.connect.DnsServers;
import org.greylite.connect.PtrLookup;
import org.greylite.connect.ReloadingAccessRules;
import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.relay.ExecutorRcptPolicy;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.Replies;
import org.greylite.store.SqliteGreylistStore;
import org.greylite.store.StoreException;
import org.greylite.suspicion.ReloadingSuspicionPolicy;
import org.greylite.suspicion.SuspicionPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code greylited}: the standalone greylisting proxy. Every setting is a flag; where greylite(8) has
 * an environment variable for it, the variable is the default (flag, then variable, then built-in
 * default).
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

    @Option(names = "--db", paramLabel = "FILE",
            description = "greydb file, created when new (default $DBFILE, else " + DEFAULT_DB
                    + "; in demo mode ./" + DEMO_DB + ").")
    Path db;

    @Option(names = "--suspicion", paramLabel = "FILE",
            description = "Suspicion rules file (default $SUSPICION); reloaded when it changes and on SIGHUP.")
    Path suspicion;

    @Option(names = "--access", paramLabel = "FILE",
            description = "Access rules in tcprules' text format (e.g. /etc/tcp.smtp): '1.2.3.:allow,RELAYCLIENT=\"\"' "
                    + "sets variables for a client's session, 'deny' refuses it with 554; the most specific address "
                    + "wins. Reloaded when it changes and on SIGHUP.")
    Path access;

    @Option(names = "--dns", paramLabel = "IP[:PORT]",
            description = "DNS resolver for the clients' PTR names; repeat for more than one "
                    + "(default $DNSCACHEIP, space-separated, else the system's).")
    List<String> dns;

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

    @Option(names = "--greet-delay", paramLabel = "MS",
            description = "Hold the greeting this long, without connecting upstream; 0 disables "
                    + "(default: $GREETDELAY if set: its value if a positive integer, else 6000; otherwise 0).")
    Long greetDelay;

    @Option(names = "--client-key", paramLabel = "ip|net", defaultValue = "net",
            description = "What identifies a client in triplets and on the auto-whitelist: its exact address, "
                    + "or its network (/24 IPv4, /64 IPv6) (default ${DEFAULT-VALUE}).")
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

    @Option(names = "--fail-closed",
            description = "On a greydb error answer 451 instead of accepting the mail (the default fails open).")
    boolean failClosed;

    @Option(names = "--greylist-reply", paramLabel = "TEXT", defaultValue = Replies.DEFAULT_GREYLIST,
            description = "Reply to a greylisted RCPT; {rcpt} and {seconds} are replaced (default '${DEFAULT-VALUE}').")
    String greylistReply;

    @Option(names = "--hostname", paramLabel = "NAME",
            description = "Name the proxy gives in its own 421 replies (default: the local host name).")
    String hostname;

    @Option(names = "--busy-timeout", paramLabel = "DURATION", defaultValue = "5s",
            description = "How long a greydb write waits for another process's lock (default ${DEFAULT-VALUE}).")
    String busyTimeout;

    @Option(names = "--purge-interval", paramLabel = "DURATION", defaultValue = "10m",
            description = "How often expired greydb rows are removed (default ${DEFAULT-VALUE}).")
    String purgeInterval;

    @Option(names = "--stop-grace", paramLabel = "DURATION", defaultValue = "30s",
            description = "On SIGTERM, how long sessions in flight may take to finish (default ${DEFAULT-VALUE}).")
    String stopGrace;

    @Option(names = "--io-threads", paramLabel = "N",
            description = "Network threads (default: one per core).")
    Integer ioThreads;

    @Option(names = "--demo-mail", paramLabel = "DIR", defaultValue = "demo-mail",
            description = "Demo mode: where the demo upstream saves messages (default ./${DEFAULT-VALUE}).")
    Path demoMail;

    private final Map<String, String> env;
    private final CountDownLatch stopped = new CountDownLatch(1);

    Greylited(Map<String, String> env) {
        this.env = env;
    }

    public static void main(String[] args) {
        Logging.configure(System.getenv(), 6);
        CommandLine cmd = new CommandLine(new Greylited(System.getenv()));
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
            // Configuration and start-up errors are for the administrator: one clear line, no stack trace.
            System.err.println("greylited: " + ex.getMessage());
            return 111;
        });
        System.exit(cmd.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Logger log = LoggerFactory.getLogger(Greylited.class);
        GreylistSettings greylist = greylistSettings();
        RelaySettings relay = new RelaySettings(maxLine, greetDelayMillis(),
                new Replies(hostname != null ? hostname : localHostName(), greylistReply));

        DemoUpstream demo = null;
        InetSocketAddress upstreamAddress;
        Path dbFile = db != null ? db : env.containsKey("DBFILE") ? Path.of(env.get("DBFILE")) : null;
        if (upstream == null) {
            demo = new DemoUpstream(demoMail).start();
            upstreamAddress = demo.address();
            if (dbFile == null) {
                dbFile = Path.of(DEMO_DB);
            }
            log.info("demo mode: no --upstream given, so a demo upstream on {} accepts all mail and saves each "
                    + "message in {}", ProxyServer.hostPort(upstreamAddress), demo.folder());
        } else {
            upstreamAddress = HostPort.parse(upstream, "--upstream");
        }
        if (dbFile == null) {
            dbFile = Path.of(DEFAULT_DB);
        }

        SqliteGreylistStore store;
        try {
            store = SqliteGreylistStore.open(dbFile, Durations.parse(busyTimeout));
        } catch (StoreException e) {
            if (demo != null) {
                demo.close();
            }
            throw e;
        }
        SuspicionPolicy rules = SuspicionSetup.load(suspicionFile(), env, log);
        ReloadingAccessRules accessRules = access == null ? null : new ReloadingAccessRules(access, Clock.systemUTC());
        PtrLookup ptr = ptrLookup(log);
        Greylister greylister = new Greylister(store, rules, greylist, Clock.systemUTC(), new DecisionLog());
        // One thread owns the SQLite connection: decisions and the purge never run at once.
        ScheduledExecutorService greydb = Executors.newSingleThreadScheduledExecutor(ProxyServer.daemonThreads("greydb"));
        long purgeSeconds = Durations.parse(purgeInterval).getSeconds();
        greydb.scheduleWithFixedDelay(() -> purge(greylister, log), purgeSeconds, purgeSeconds, TimeUnit.SECONDS);

        ProxyServer.Builder b = ProxyServer.builder()
                .listen(HostPort.parse(listen, "--listen"))
                .upstream(upstreamAddress)
                .policy(new ExecutorRcptPolicy(greylister, greydb))
                .access(accessRules != null ? accessRules : AccessPolicy.ALLOW_ALL)
                .ptrLookup(ptr)
                .relaySettings(relay)
                .idleTimeout(Durations.parse(idleTimeout))
                .upstreamTimeout(Durations.parse(upstreamTimeout))
                .connectTimeout(Durations.parse(connectTimeout));
        if (ioThreads != null) {
            b.ioThreads(ioThreads);
        }
        // Before listening: from then on an administrator may send SIGHUP, which must not stop the JVM.
        Hangup.onHangup(() -> reload(rules, accessRules, log), log);
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
            if (demoToStop != null) {
                demoToStop.close();
            }
            log.info("stopped");
            stopped.countDown();
        }, "greylited-stop"));
        stopped.await();
        return 0;
    }

    /** SIGHUP: read the rule files again. Sessions go on; each RCPT uses the rules in force when it is decided. */
    private static void reload(SuspicionPolicy rules, ReloadingAccessRules accessRules, Logger log) {
        if (!(rules instanceof ReloadingSuspicionPolicy) && accessRules == null) {
            log.info("SIGHUP: no suspicion or access file to reload");
            return;
        }
        log.info("SIGHUP: reloading the rule files");
        if (rules instanceof ReloadingSuspicionPolicy suspicionRules) {
            suspicionRules.reload();
        }
        if (accessRules != null) {
            accessRules.reload();
        }
    }

    /** The PTR lookups, or null when --ptr-timeout is 0. */
    private PtrLookup ptrLookup(Logger log) {
        Duration timeout = millisOrDuration(ptrTimeout, "--ptr-timeout");
        if (timeout.isZero()) {
            log.info("PTR lookups off (--ptr-timeout 0): r lines see every client's name as empty");
            return null;
        }
        List<java.net.InetSocketAddress> servers;
        if (dns != null && !dns.isEmpty()) {
            servers = dns.stream().map(d -> DnsServers.parse(d, "--dns")).toList();
        } else {
            String v = env.get("DNSCACHEIP");
            servers = v == null || v.isBlank() ? List.of() : DnsServers.parseList(v, "DNSCACHEIP");
        }
        PtrLookup lookup = PtrLookup.create(servers, timeout);
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

    private static void purge(Greylister greylister, Logger log) {
        try {
            int n = greylister.purgeExpired();
            if (n > 0) {
                log.info("purge: {} expired greydb row(s) removed", n);
            }
        } catch (StoreException e) {
            log.error("purge failed: {}", e.getMessage());
        }
    }

    GreylistSettings greylistSettings() {
        ClientKeys keys;
        switch (clientKey.toLowerCase(Locale.ROOT)) {
            case "ip":
                keys = ClientKeys.exactAddresses();
                break;
            case "net":
                keys = ClientKeys.networks();
                break;
            default:
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "--client-key must be 'ip' or 'net', not '" + clientKey + "'");
        }
        return new GreylistSettings(
                duration(minDelay, "GREYLITE_MIN_DELAY", GreylistSettings.DEFAULT_MIN_DELAY),
                duration(retryWindow, "GREYLITE_RETRY_WINDOW", GreylistSettings.DEFAULT_RETRY_WINDOW),
                duration(whitelistLifetime, "GREYLITE_WHITELIST_LIFETIME", GreylistSettings.DEFAULT_WHITELIST_LIFETIME),
                keys, !failClosed);
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
