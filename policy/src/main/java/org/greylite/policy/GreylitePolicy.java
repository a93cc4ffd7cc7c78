package org.greylite.policy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.greylite.config.ExitStatus;
import org.greylite.config.Hangup;
import org.greylite.config.StartingHangup;
import org.greylite.config.Logging;
import org.greylite.daemon.config.BadCommandLine;
import org.greylite.daemon.config.CommandLineSettings;
import org.greylite.daemon.config.ConfigFile;
import org.greylite.daemon.config.LayeredDefaults;
import org.greylite.settings.SettingValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code greylite-policy}: a Postfix policy delegation server (SMTPD_POLICY_README) on the greylisting engine,
 * started with postgrey's command line ({@code --inet=10023 --delay=300 ...}) so that it can replace postgrey
 * by a change of program name. The decisions are the engine's, with its defaults (SPEC §3), not postgrey's:
 * the greydb, suspicion rules, smart client keys, sender normalisation, known senders, greylitectl.
 */
@Command(name = "greylite-policy", mixinStandardHelpOptions = true, sortOptions = false,
        version = "greylite-policy " + Answers.VERSION,
        description = {
            "Postfix policy service for greylisting, a drop-in for postgrey: in main.cf, after "
                    + "reject_unauth_destination, 'check_policy_service inet:127.0.0.1:10023'.",
            "Answers DEFER_IF_PERMIT to a greylisted RCPT, PREPEND X-Greylist to the retry that passes, DUNNO "
                    + "otherwise (never OK: later restrictions still run)."
        })
public final class GreylitePolicy implements Callable<Integer> {

    // --- postgrey's flags ---

    @Option(names = {"-i", "--inet"}, paramLabel = "[HOST:]PORT",
            description = "Listen on TCP; a bare port listens on 127.0.0.1, as postgrey's does; an IPv6 address in "
                    + "brackets ([::1]:10023).")
    String inet;

    @Option(names = {"-u", "--unix"}, paramLabel = "PATH", description = "Listen on a unix socket (with --inet, on both).")
    Path unix;

    @Option(names = "--socketmode", paramLabel = "MODE", defaultValue = "0666",
            description = "Permissions of the unix socket (default ${DEFAULT-VALUE}, as postgrey's).")
    String socketMode;

    /** postgrey's --delay (seconds) is the model's --min-delay, whose durations take bare seconds too. */
    @Option(names = {"--delay", "--min-delay"})
    String delay;

    @Option(names = "--max-age", paramLabel = "DAYS",
            description = "Passed triplets and auto-whitelisted clients are forgotten this many days after their "
                    + "last delivery (same as --whitelist-lifetime in days).")
    Integer maxAgeDays;

    @Option(names = "--retry-window", paramLabel = "DAYS|Nh|DURATION",
            description = "A triplet that has not passed is forgotten this long after its first attempt: days (2), "
                    + "hours (6h), or a duration with a unit (30m); a bare number is days however long, as in postgrey "
                    + "(default $GREYLITE_RETRY_WINDOW, else 24h).")
    String retryWindow;

    @Option(names = "--greylist-action", paramLabel = "ACTION", defaultValue = Answers.DEFAULT_ACTION,
            description = "Action for a greylisted RCPT (default ${DEFAULT-VALUE}, also when given empty, as in "
                    + "postgrey; DEFER answers at once).")
    String greylistAction;

    @Option(names = "--greylist-text", paramLabel = "TEXT", defaultValue = Answers.DEFAULT_TEXT,
            description = "Text of a greylisted RCPT's answer; %%s becomes the seconds to wait, %%r the recipient's "
                    + "domain (default '${DEFAULT-VALUE}', also when given empty).")
    String greylistText;

    @Option(names = "--x-greylist-header", paramLabel = "TEXT", defaultValue = Answers.DEFAULT_HEADER,
            description = "Header prepended to a message whose retry passed; %%t the delay in seconds, %%v the version, "
                    + "%%h the host name, %%d the date (default '${DEFAULT-VALUE}', also when given empty; no header: "
                    + "--no-x-greylist-header).")
    String header;

    @Option(names = "--no-x-greylist-header", description = "Prepend no header to a message whose retry passed.")
    boolean noHeader;

    @Option(names = "--whitelist-clients", paramLabel = "FILE",
            description = "postgrey's client whitelist: host names (and their subdomains), /regex/ on the client's "
                    + "name, addresses and CIDR blocks, partial IPv4 addresses. Repeatable; read again on SIGHUP; a file "
                    + "that does not exist is empty, with a warning but for a *.local file (default: "
                    + "/etc/postgrey/whitelist_clients and its .local, when they exist).")
    List<Path> whitelistClients = new ArrayList<>();

    @Option(names = "--whitelist-recipients", paramLabel = "FILE",
            description = "postgrey's recipient whitelist: user@domain, user@, @domain, a domain (and its "
                    + "subdomains), /regex/. Repeatable; read again on SIGHUP; a file that does not exist is empty, with a "
                    + "warning but for a *.local file (default: /etc/postgrey/whitelist_recipients and its .local, when "
                    + "they exist).")
    List<Path> whitelistRecipients = new ArrayList<>();

    @Option(names = "--lookup-by-subnet", description = "Key clients on their network (--client-key net); "
            + "--lookup-by-host wins over it, as in postgrey.")
    boolean lookupBySubnet;

    @Option(names = "--lookup-by-host", description = "Key clients on their exact address (--client-key ip).")
    boolean lookupByHost;

    @Option(names = "--ipv4cidr", paramLabel = "N", defaultValue = "24",
            description = "Prefix of an IPv4 client's network key (default ${DEFAULT-VALUE}).")
    int ipv4Cidr;

    @Option(names = "--ipv6cidr", paramLabel = "N", defaultValue = "64",
            description = "Prefix of an IPv6 client's network key (default ${DEFAULT-VALUE}).")
    int ipv6Cidr;

    /**
     * postgrey's option, and the model's setting of the same name. Bare, it means 5, the number postgrey 1.37's code
     * takes for it (its --help says "after first successful delivery", its code gives 5). Absent, the engine's
     * default (1) holds. The count is the engine's, not postgrey's: N distinct triplets of the client key (smart,
     * /24 or address) passed and still remembered, at any pace; postgrey counts at most one pass an hour and keys
     * its auto-whitelist on the exact client address, so the same N whitelists sooner here, and a whole network.
     */
    @Option(names = "--auto-whitelist-clients", arity = "0..1", fallbackValue = "5")
    int autoWhitelistClients;

    @Option(names = "--exim", description = "Close each connection after its answer, as postgrey's --exim does: Exim's "
            + "readsocket asks one query per connection and reads the answer until the connection closes.")
    boolean exim;

    @Option(names = "--hostname", paramLabel = "NAME", description = "Host name for the header's %%h (default: this host's).")
    String hostname;

    @Option(names = "--listen-queue-size", paramLabel = "N", defaultValue = "512",
            description = "Listen backlog of each socket (default ${DEFAULT-VALUE}).")
    int listenQueueSize;

    @Option(names = {"-v", "--verbose"}, description = "Log debug lines too (whitelisted clients' decisions).")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Log warnings and errors only, no decision lines.")
    boolean quiet;

    // postgrey's flags that concern its BerkeleyDB and daemon life: accepted, with a warning saying what replaces
    // them. Hidden from the option list, whose flags all act; --help lists them in a section of their own
    // (PostgreyOnlyHelp), and their description is the warning's "what replaces it".
    @Option(names = "--dbdir", paramLabel = "DIR", hidden = true,
            description = "the greydb is --db (or DBFILE), an SQLite file or a PostgreSQL URL")
    String dbdir;
    @Option(names = "--pidfile", paramLabel = "FILE", hidden = true,
            description = "run it under systemd or a supervisor, which track the process")
    String pidfile;
    @Option(names = "--user", paramLabel = "USER", hidden = true,
            description = "start it as the user it should run as (systemd's User= or DynamicUser=)")
    String user;
    @Option(names = "--group", paramLabel = "GROUP", hidden = true,
            description = "start it with the group it should run as (systemd's Group=)")
    String group;
    @Option(names = {"--syslog-facility", "--syslogfacility", "--facility"}, paramLabel = "FACILITY", hidden = true,
            description = "logs go to stderr, where journald or multilog collect them")
    String syslogFacility;
    @Option(names = {"-d", "--daemonize"}, hidden = true,
            description = "it stays in the foreground; systemd or a supervisor runs it in the background")
    boolean daemonize;
    @Option(names = "--privacy", hidden = true,
            description = "the greydb keeps clear-text triplets, so that greylitectl can show them")
    boolean privacy;

    // --- the engine's options: settings of the model (org.greylite.settings.Settings), which gives their label,
    // description and default (PolicyOptions); the value is the flag, else the setting's variable, else the default.

    @Option(names = "--db")
    String db;

    @Option(names = "--suspicion")
    Path suspicion;

    @Option(names = "--geoip-db")
    Path geoipDb;

    @Option(names = "--client-key")
    String clientKey;

    @Option(names = "--whitelist-lifetime")
    String whitelistLifetime;

    @Option(names = "--max-pending")
    int maxPending;

    @Option(names = "--whitelist-memory")
    String whitelistMemory;

    @Option(names = "--dnswl", split = "[\\s,]+", splitSynopsisLabel = ",")
    List<String> dnswl = new ArrayList<>();

    @Option(names = "--dns", split = "[\\s,]+", splitSynopsisLabel = ",")
    List<String> dns = new ArrayList<>();

    /** Bounds the PTR lookup of a client whose request carries no client_name, and the DNSWL lookups. */
    @Option(names = "--ptr-timeout")
    String ptrTimeout;

    @Option(names = "--whitelist-file", split = "[\\s,]+", splitSynopsisLabel = ",")
    List<Path> whitelistFiles = new ArrayList<>();

    @Option(names = "--no-shipped-whitelist")
    boolean noShippedWhitelist;

    @Option(names = "--metrics")
    String metrics;

    @Option(names = "--fail-closed")
    boolean failClosed;

    @Option(names = "--busy-timeout")
    String busyTimeout;

    @Option(names = "--db-connections")
    int dbConnections;

    @Option(names = "--purge-interval")
    String purgeInterval;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    /** Where the engine's options got their values (flag, variable, default); set by {@link #commandLine}. */
    private LayeredDefaults defaults;
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** What SIGHUP does, from the start on (see {@link StartingHangup}). */
    private final StartingHangup hangup = new StartingHangup();

    GreylitePolicy(Map<String, String> env) {
        this.env = env;
    }

    public static void main(String[] args) {
        GreylitePolicy app = new GreylitePolicy(System.getenv());
        // First of all, so that a SIGHUP while starting does not stop the JVM, as its default would. No logger yet:
        // making one now would set logging up before the flags say how (call() installs it again with one).
        Hangup.onHangup(app.hangup, org.slf4j.helpers.NOPLogger.NOP_LOGGER);
        System.exit(commandLine(app).execute(args));
    }

    /**
     * The command line (postgrey writes {@code --delay=300}; picocli reads that and {@code --delay 300} alike).
     * A start that fails is one line on stderr, with greylited's exit statuses ({@link ExitStatus}): 2 for a
     * mistake in the flags or variables (a bad value, a file that cannot be read), which the systemd unit does not
     * restart on; 111 when it cannot start now (a port taken, a greydb that cannot be opened), which it retries.
     * An unforeseen error has its stack trace too.
     */
    static CommandLine commandLine(GreylitePolicy app) {
        CommandLine cmd = new CommandLine(app);
        PolicyOptions.SETTINGS.apply(cmd.getCommandSpec());
        bareAsPostgreyReadsIt(cmd.getCommandSpec(), "--auto-whitelist-clients");
        app.defaults = new LayeredDefaults(cmd.getCommandSpec(), PolicyOptions.SETTINGS, ConfigFile.none(), app.env);
        cmd.setDefaultValueProvider(app.defaults);
        // A flag given twice takes its last value, as postgrey's Getopt::Long takes it: an init script's flags and
        // /etc/default/postgrey's POSTGREY_OPTS often both name --delay or --inet, and postgrey started with them.
        cmd.setOverwrittenOptionsAllowed(true);
        PostgreyOnlyHelp.addTo(cmd);
        cmd.setParameterExceptionHandler(new BadCommandLine("greylite-policy", app.defaults));
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("greylite-policy: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            if (!ExitStatus.foreseen(e)) {
                e.printStackTrace(c.getErr());
            }
            c.getErr().flush();
            return ExitStatus.of(e);
        });
        return cmd;
    }

    /**
     * Reads {@code option} given empty ({@code --auto-whitelist-clients=}) as given bare, as postgrey reads it
     * (Getopt::Long's {@code :s} gives both as '', which postgrey takes for its 5); the option's own parser refused
     * the empty text as no number, and a POSTGREY_OPTS line that started postgrey stopped the start. Its help says
     * what bare means: the model's text names only the default of a flag not given, and {@code [=N]} alone left an
     * administrator to guess that postgrey's bare form asks for 5 passes, not that default. The option is put back
     * where it was, so that {@code --help} lists it in its place.
     */
    private static void bareAsPostgreyReadsIt(CommandSpec spec, String option) {
        List<OptionSpec> all = new ArrayList<>(spec.options());
        all.forEach(spec::remove);
        for (OptionSpec o : all) {
            if (o.longestName().equals(option)) {
                CommandLine.ITypeConverter<?> parse = o.converters()[0];
                String bare = o.fallbackValue();
                List<String> help = new ArrayList<>(List.of(o.description()));
                help.set(help.size() - 1, help.get(help.size() - 1) + " Given bare or empty: " + bare
                        + ", as postgrey's code takes it.");
                o = OptionSpec.builder(o).converters(text -> parse.convert(text.isEmpty() ? bare : text))
                        .description(help.toArray(String[]::new)).build();
            }
            spec.addOption(o);
        }
    }

    @Override
    public Integer call() throws Exception {
        configureLogging();
        Logger log = LoggerFactory.getLogger(GreylitePolicy.class);
        hangup.whileStarting(log);
        // Again, now with the logger: the handlers installed first said a SIGUSR1 or a failed reload to nobody.
        Hangup.onHangup(hangup, log); // says why, if it cannot
        java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
        try (RunningPolicy running = open(log)) {
            // Without a handler the JVM takes SIGHUP as a request to stop; here it reloads, as greylited's does.
            hangup.reloadWith(running::reload);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (!failed.get()) { // else the exit that follows the failure, said already
                    log.info("stopping (signal received)");
                }
                running.close();
                if (!failed.get()) {
                    log.info("stopped"); // as greylited and greydaemon say: the greydb is closed, nothing is lost
                }
                stopped.countDown();
            }, "greylite-policy-stop"));
            // A service that no longer answers must not stay up looking healthy: it ends, and its supervisor (the
            // systemd unit's Restart=on-failure) starts it again.
            running.servingFailed().thenRun(() -> {
                failed.set(true);
                stopped.countDown();
            });
            stopped.await();
        }
        if (failed.get()) {
            log.error("the policy service stopped answering; exiting with status {} so that it is started again",
                    ExitStatus.CANNOT_START);
            return ExitStatus.CANNOT_START;
        }
        return 0;
    }

    /** Whether {@code option} was on the command line (rather than its value coming from a variable or default). */
    boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /**
     * The engine's settings as the model reads them from the parsed options, for the stages built from settings
     * ({@link org.greylite.connect.ConnectStage}); an error about a value names its flag or its variable.
     */
    SettingValues settingValues() {
        return new CommandLineSettings(spec, defaults);
    }

    /** Opens the greydb and the listeners, and starts serving; for {@link #call()} and the tests. */
    RunningPolicy open(Logger log) throws Exception {
        if (inet == null && unix == null) {
            throw new IllegalArgumentException("--inet=[HOST:]PORT or --unix=PATH must be given (postgrey's --inet=10023, say)");
        }
        warnAboutPostgreyOnlyFlags(log);
        return RunningPolicy.open(this, env, log);
    }

    private void warnAboutPostgreyOnlyFlags(Logger log) {
        warnIf(log, dbdir != null, "--dbdir");
        warnIf(log, pidfile != null, "--pidfile");
        warnIf(log, user != null, "--user");
        warnIf(log, group != null, "--group");
        warnIf(log, syslogFacility != null, "--syslog-facility");
        warnIf(log, daemonize, "--daemonize");
        warnIf(log, privacy, "--privacy");
        if (user != null && "root".equals(System.getProperty("user.name"))) {
            // Debian's init script starts postgrey as root with --user=postgrey, which postgrey switched to: this
            // service does not, and a network service left running as root should not go unsaid.
            log.error("running as root: postgrey's --user={} switched to that user, greylite-policy does not; start it"
                    + " as {} (the systemd unit's User=, or setpriv --reuid={} --regid={} --init-groups)", user, user,
                    user, group != null ? group : user);
        }
    }

    private void warnIf(Logger log, boolean given, String flag) {
        if (given) {
            log.warn("postgrey's {} is accepted and ignored: {}", flag,
                    String.join(" ", spec.findOption(flag).description()));
        }
    }

    /**
     * The level from {@code -q}/{@code -v} or LOGTHRESHOLD, and greylited's batched stderr writer: a decision line
     * per request, each written with a {@code write} of its own by the I/O thread, took 6% of the service's CPU
     * at 20 connections; the lines are the same bytes, written a batch at a time (at most 100 ms late; warnings,
     * errors and whatever waits at exit at once).
     */
    private void configureLogging() {
        Map<String, String> e = new HashMap<>(env);
        if (quiet) {
            e.put("LOGTHRESHOLD", "4");
        } else if (verbose) {
            e.put("LOGTHRESHOLD", "7");
        }
        Logging.configure(e, 6);
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "org/greylite/daemon/logback-text.xml");
        }
    }
}
