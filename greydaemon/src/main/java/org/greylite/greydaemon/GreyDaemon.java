package org.greylite.greydaemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.greylite.config.KnownSendersEnvironment;
import org.greylite.config.ExitStatus;
import org.greylite.config.FileErrors;
import org.greylite.config.Hangup;
import org.greylite.config.StartingHangup;
import org.greylite.config.Logging;
import org.greylite.config.SuspicionSetup;
import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.metrics.EngineSeries;
import org.greylite.metrics.MetricsEndpoint;
import org.greylite.net.HostPortValue;
import org.greylite.net.AddressText;
import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Program;
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

import com.sun.security.auth.module.UnixSystem;

/**
 * {@code greydaemon}: a drop-in for John Levine's UDP greylisting daemon, which the patched qmail-smtpd of
 * netqmail and indimail asks at DATA, deciding with the greylite engine and keeping its state in a greydb.
 *
 * <p>Settings, weakest first: greydaemon's defaults (the exact client address, a retry after 5 minutes
 * passes, a first attempt waits 12 hours for it, a known address is remembered 7 days: the settings model's
 * defaults for {@link Program#GREYDAEMON}), then the greylite environment ({@code GREYLITE_MIN_DELAY}, {@code GREYLITE_RETRY_WINDOW}, {@code GREYLITE_WHITELIST_LIFETIME},
 * {@code GREYLITE_CLIENT_KEY}, {@code SUSPICION}, {@code GREYLITE_WHITELIST_FILES}, {@code LOGTHRESHOLD}...),
 * then the flags {@code -m}, {@code -g}, {@code -t}, which mean what they meant.
 */
public final class GreyDaemon {

    /** Exit status for a command line, or a variable or a file it names, that cannot be used. */
    static final int USAGE_ERROR = ExitStatus.CONFIGURATION;

    private GreyDaemon() {
    }

    public static void main(String[] args) {
        // First of all, so that a SIGHUP while starting (the import of a large save file takes half a minute) does
        // not stop the JVM, as its default would. No logger yet: making one now would set logging up before -d says
        // how; a failure is said below, once there is one.
        StartingHangup hangup = new StartingHangup();
        Hangup.onHangup(hangup, org.slf4j.helpers.NOPLogger.NOP_LOGGER);
        Map<String, String> env = System.getenv();
        String helpOrVersion = CommandLine.helpOrVersion(Arrays.asList(args));
        if (helpOrVersion != null) {
            System.out.println(helpOrVersion);
            return; // nothing started yet: the JVM exits with 0

        }
        CommandLine cl;
        try {
            cl = CommandLine.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            System.err.println("greydaemon: " + e.getMessage() + "\n" + CommandLine.USAGE);
            System.exit(USAGE_ERROR);
            return;
        }
        configureLogging(env, cl.debug());
        Logger log = LoggerFactory.getLogger(GreyDaemon.class);
        hangup.whileStarting(log);
        // Again, now with the logger: the handlers installed first said a SIGUSR1 or a failed reload to nobody.
        Hangup.onHangup(hangup, log); // says why, if it cannot
        RunningGreydaemon service;
        try {
            checkUser(cl.user(), System.getProperty("user.name"), new UnixSystem().getUid());
            service = start(cl, env, Clock.systemUTC());
        } catch (IllegalArgumentException | IOException | UncheckedIOException | StoreException e) {
            // A bad value (2) or a start that failed for now, an address taken or the greydb (111): ExitStatus.
            log.error("greydaemon: {}", e.getMessage());
            stopLogging();
            System.exit(ExitStatus.of(e));
            return;
        }
        // Without a handler the JVM takes SIGHUP as a request to stop; here it reloads, as greylited's does.
        hangup.reloadWith(service::reload);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            log.info("greydaemon stopped");
            stopLogging();
        }, "shutdown"));
        try {
            service.awaitClosed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Binds the sockets, opens the greydb (importing an old save file first) and serves. The settings and the files
     * they name are read first: a mistake there is said before anything is opened.
     *
     * @throws IllegalArgumentException for settings that cannot work, or a file they name that cannot be read,
     *                                  naming the flag, variable or file
     * @throws IOException for an address that cannot be bound (or a save file that cannot be imported)
     * @throws StoreException for a greydb that cannot be opened
     */
    static RunningGreydaemon start(CommandLine cl, Map<String, String> env, Clock clock) throws IOException {
        Logger log = LoggerFactory.getLogger(GreyDaemon.class);
        EnvironmentSettings model = new EnvironmentSettings(env, Program.GREYDAEMON);
        cl.warnings().forEach(w -> log.warn("greydaemon: {}", w));
        GreylistSettings settings = settings(cl, env);
        Duration busyTimeout = model.get(Settings.BUSY_TIMEOUT);
        WhitelistRangesFile ranges = new WhitelistRangesFile(cl.whitelist() == null ? WhitelistRanges.NONE
                : WhitelistRanges.load(cl.whitelist()));
        GreydbLocation location = GreydbLocation.parse(cl.saveFile(), env);
        String metricsAt = model.get(Settings.METRICS);
        InetSocketAddress metricsAddress = metricsAt == null ? null : HostPortValue.parse("GREYLITE_METRICS", metricsAt, 9727);
        Path suspicionFile = model.get(Settings.SUSPICION);
        GreydaemonMetrics metrics = new GreydaemonMetrics();
        SuspicionPolicy rules;
        try {
            rules = SuspicionSetup.load(suspicionFile, env, log,
                    () -> metrics.engine().reloadFailed(EngineSeries.SUSPICION_FILE));
        } catch (IOException e) {
            throw FileErrors.unreadable(model.origin(Settings.SUSPICION), suspicionFile, e);
        }
        KnownSendersFiles known = KnownSendersEnvironment.knownSendersFiles(env, Program.GREYDAEMON);
        known.get().problems().forEach(p -> log.error("known senders: {}", p)); // a line left out of the admin's file
        if (location instanceof GreydbLocation.Sqlite sqlite && Files.isDirectory(sqlite.file())) {
            // Said here, naming the operand: the greydb's own check names DBFILE and --db, which greydaemon has
            // not. A mistake in the command line (exit 2), which no restart mends.
            throw new IllegalArgumentException("SAVEFILE " + sqlite.file() + " is a directory; give the path of a"
                    + " file, e.g. " + sqlite.file().resolve("save"));
        }
        // Bound before anything is changed, as greydaemon bound it before it read its save file: a port already taken
        // (often by the old greydaemon, still running) stops a start that has imported and renamed nothing. Bound
        // after the import, the save file the old daemon still wrote was renamed away, and its next save (an unlink,
        // then a rename over SAVEFILE) threw the imported greydb away.
        // On a wildcard, a socket per address of the host (ListeningSockets says why): an address whose port is
        // taken stops the start too.
        ListeningSockets sockets = ListeningSockets.bind(cl.listen());
        MetricsEndpoint metricsEndpoint = null;
        GreylistStore store = null;
        EngineDecisions decisions = null;
        WalCheckpointer checkpointer = null;
        UdpService service;
        try {
            // Then the metrics address, which can be taken too: before the import and the greydb.
            if (metricsAddress != null) {
                try {
                    metricsEndpoint = MetricsEndpoint.start(metricsAddress, metrics.registry());
                } catch (IOException e) {
                    throw new IOException("GREYLITE_METRICS: " + e.getMessage(), e);
                }
            }
            if (location instanceof GreydbLocation.Sqlite sqlite) {
                SaveFileImport.Imported imported = SaveFileImport.importIfSaveFile(sqlite.file(), settings,
                        busyTimeout, clock.instant(), log);
                if (imported != null) {
                    log.info("imported greydaemon save file {}: {} known address(es), {} pending triplet(s), {} entries"
                                    + " expired by this program's lifetimes left out, {} line(s) skipped; the text file is"
                                    + " kept as {}", sqlite.file(), imported.knownAddresses(), imported.pendingTriplets(),
                            imported.expired(), imported.skippedLines(), imported.backup());
                }
            }
            store = GreylistStores.open(location, new GreydbOptions(busyTimeout, 1, env)
                    .withGreyliteImport(new GreyliteImportRules(settings, clock)));
            decisions = new EngineDecisions(store, rules, settings, known, ranges, clock, metrics);
            checkpointer = location instanceof GreydbLocation.Sqlite sqlite ? WalCheckpointer.start(sqlite.file()) : null;
            service = UdpService.start(sockets, decisions, checkpointer, cl.purgeEvery(), metrics);
        } catch (IOException | RuntimeException e) {
            sockets.close();
            if (metricsEndpoint != null) {
                metricsEndpoint.close();
            }
            if (checkpointer != null) {
                checkpointer.close();
            }
            if (decisions != null) {
                decisions.close(); // and the greydb under it
            } else if (store != null) {
                store.close();
            }
            throw e;
        }
        log.info("started greydaemon on {}: greydb {}, retry after {}, within {}, address known for {}, client key {}{}",
                AddressText.withPort(service.localAddress()),
                decisions.describeGreydb(),
                Durations.format(settings.minDelay()), Durations.format(settings.retryWindow()),
                Durations.format(settings.whitelistLifetime()),
                settings.clientKeys().mode().name().toLowerCase(java.util.Locale.ROOT),
                ranges.get().size() > 0 ? ", " + ranges.get().size() + " whitelisted range(s)" : "");
        if (sockets.followHost()) {
            log.info("listening on each address of the host, answering from the address asked: {} (scanned again"
                    + " every {} s and on SIGHUP)", service.describeAddresses(), UdpService.ADDRESS_SCAN_SECONDS);
        }
        if (metricsEndpoint != null) {
            log.info("metrics on {}", metricsEndpoint.url());
        }
        return new RunningGreydaemon(service, rules, ranges, known, store, metrics, metricsEndpoint, checkpointer, log);
    }


    /**
     * greydaemon's defaults (the settings model's for {@link Program#GREYDAEMON}: the exact address, 5 minutes,
     * 12 hours, 7 days), adjusted by the environment, then by the flags.
     *
     * <p>The three durations are chosen first, each from its flag, else its variable, else the default, and only the
     * result is checked (a retry window longer than the delay). Checking the environment's values before the flags
     * replaced them refused {@code GREYLITE_MIN_DELAY=13h} with {@code -g 24}, a window of 24 hours, for being longer
     * than the default window of 12 hours that {@code -g} had replaced; and the refusal named the engine's settings,
     * not the flag or variable that gave the value.
     */
    static GreylistSettings settings(CommandLine cl, Map<String, String> env) {
        EnvironmentSettings model = new EnvironmentSettings(env, Program.GREYDAEMON);
        Duration minDelay = orElse(cl.minDelay(), model.get(Settings.MIN_DELAY));
        Duration window = orElse(cl.window(), model.get(Settings.RETRY_WINDOW));
        Duration knownFor = orElse(cl.knownFor(), model.get(Settings.WHITELIST_LIFETIME));
        if (window.compareTo(minDelay) <= 0) {
            throw new IllegalArgumentException(origin("-g", cl.window(), model, Settings.RETRY_WINDOW) + " ("
                    + Durations.format(window) + ") must be longer than " + origin("-m", cl.minDelay(), model,
                    Settings.MIN_DELAY) + " (" + Durations.format(minDelay) + "), or no retry could ever pass");
        }
        // The rest as every program reads it, with the three durations chosen here in their variables' place.
        Map<String, String> chosen = new HashMap<>(env);
        chosen.put(Settings.MIN_DELAY.variable(), minDelay.getSeconds() + "s");
        chosen.put(Settings.RETRY_WINDOW.variable(), window.getSeconds() + "s");
        chosen.put(Settings.WHITELIST_LIFETIME.variable(), knownFor.getSeconds() + "s");
        return new EnvironmentSettings(chosen, Program.GREYDAEMON).greylist();
    }

    /** What gave a duration: its flag, else its variable, else greydaemon's default for the flag. */
    private static String origin(String flag, Duration fromFlag, EnvironmentSettings model, Setting<Duration> setting) {
        if (fromFlag != null) {
            return flag;
        }
        return model.isSet(setting) ? setting.variable() : "the default of " + flag;
    }

    private static Duration orElse(Duration flag, Duration otherwise) {
        return flag != null ? flag : otherwise;
    }

    /**
     * {@code -u USER}: Java cannot change its user, so {@code bin/greydaemon}, started as root, switches to
     * USER before Java starts (see the launcher). Here only the result is checked: a greydaemon that was asked
     * to run as USER and does not must not go on as root.
     */
    static void checkUser(String wanted, String running, long runningUid) {
        // A number is a user id: bin/greydaemon's id(1) and setpriv(1) take one, and switched to it. Compared with the
        // name alone it never matched, and the start stopped telling the administrator to do what had been done.
        boolean same = wanted != null && (wanted.equals(running)
                || wanted.matches("[0-9]{1,10}") && Long.parseLong(wanted) == runningUid);
        if (wanted != null && !same) {
            throw new IllegalArgumentException("-u " + wanted + ": this process runs as " + running
                    + "; start greydaemon as root through bin/greydaemon, which switches to " + wanted
                    + " (setpriv) before Java starts");
        }
        if (wanted != null) {
            LoggerFactory.getLogger(GreyDaemon.class).info("now running as user {} ({})", running, runningUid);
        }
    }

    /**
     * greylite's LOGTHRESHOLD and LOGPID (decisions shown by default, as greydaemon printed every request;
     * {@code -d} adds the skipped ones), written by greylited's batched stderr writer.
     */
    private static void configureLogging(Map<String, String> env, boolean debug) {
        Map<String, String> e = new HashMap<>(env);
        if (debug) {
            e.put("LOGTHRESHOLD", "7");
        }
        Logging.configure(e, 6);
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "org/greylite/daemon/logback-text.xml");
        }
    }

    /** Writes the log lines still waiting (the batched writer flushes when logback stops). */
    private static void stopLogging() {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            ctx.stop();
        }
    }
}
