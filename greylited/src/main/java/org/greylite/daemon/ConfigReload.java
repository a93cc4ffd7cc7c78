package org.greylite.daemon;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.greylite.daemon.config.CommandLineSettings;
import org.greylite.daemon.config.ConfigFile;
import org.greylite.daemon.config.EffectiveConfig;
import org.greylite.daemon.config.LayeredDefaults;
import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.relay.RelaySettings;
import org.greylite.settings.Setting;
import org.greylite.settings.Settings;
import org.slf4j.Logger;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * greylited's configuration file ({@code --config}) read again at SIGHUP. The file is read as the start reads it:
 * the same command line over it, flags still winning, every value checked as the start checks them. A file with a
 * mistake is refused whole, named with its line, and everything stays as it was (as a suspicion file with a bad line).
 *
 * <p>The greylisting settings ({@link #ENGINE}: the delays, windows and lifetimes, the client key, fail-closed...)
 * are put in force between two decisions ({@link RunningEngine#applySettings}); what a session is made with
 * ({@link #SESSION}: the greylisting reply, the greeting delay, the dialogue's limits), for the sessions that start
 * after the SIGHUP. Every other setting built the server (its addresses, the upstream, TLS, threads, the greydb, the
 * rule files' paths, logging): a change to one is named in a warning and keeps its value until a restart, at every
 * SIGHUP until the file and the running server agree again. Before, the file was read at start only, and SIGHUP
 * named it as changed, nothing more.
 */
final class ConfigReload {

    /** The settings a SIGHUP puts in force for the next decision: the engine's, which it reads anew at each. */
    static final Set<Setting<?>> ENGINE = Set.of(Settings.MIN_DELAY, Settings.RETRY_WINDOW,
            Settings.WHITELIST_LIFETIME, Settings.CLIENT_KEY, Settings.FAIL_CLOSED, Settings.WHITELIST_MEMORY,
            Settings.MAX_PENDING, Settings.AUTO_WHITELIST_CLIENTS);

    /**
     * The settings a SIGHUP puts in force for the next session: what each session is made with (its replies, the
     * greeting delay, the dialogue's limits). A session under way keeps those it began with. Not the host name: the
     * connection limits' replies were made with it at start.
     */
    static final Set<Setting<?>> SESSION = Set.of(Settings.GREYLIST_REPLY, Settings.GREET_DELAY, Settings.MAX_LINE,
            Settings.JUNK_COMMAND_LIMIT, Settings.SESSION_DEADLINE, Settings.GREETING_TIMEOUT, Settings.RCPT_ORDER);

    private final Path file;
    private final List<String> args;
    private final Map<String, String> env;
    private final RunningEngine engine;
    private final AtomicReference<RelaySettings> relay;
    private final String serverName;
    private final Logger log;
    /** The values greylited started with: the settings that need a restart are compared with these. */
    private final CommandLineSettings started;
    /** The values of the last file put in force: the applied settings are compared with these. */
    private CommandLineSettings applied;

    /**
     * @param args       greylited's command line, read again over the file
     * @param started    the settings as greylited read them at start
     * @param relay      what each new session is made with, replaced when one of {@link #SESSION} changes
     * @param serverName greylited's name in its replies, as the start chose it
     */
    ConfigReload(Path file, List<String> args, Map<String, String> env, CommandLineSettings started,
                 RunningEngine engine, AtomicReference<RelaySettings> relay, String serverName, Logger log) {
        this.file = file;
        this.args = List.copyOf(args);
        this.env = Map.copyOf(env);
        this.started = started;
        this.applied = started;
        this.engine = engine;
        this.relay = relay;
        this.serverName = serverName;
        this.log = log;
    }

    /**
     * SIGHUP: reads the file, applies what can be applied, names what needs a restart.
     *
     * @return false when the file did not load and the settings in force stay
     */
    synchronized boolean reload() {
        log.info("SIGHUP: reading the configuration file {}", file);
        Greylited reread = new Greylited(env);
        CommandLine cmd = GreylitedCommand.commandLine(reread);
        GreylistSettings next;
        RelaySettings nextRelay;
        CommandLineSettings values;
        LayeredDefaults defaults = null;
        try {
            defaults = new LayeredDefaults(cmd.getCommandSpec(), GreylitedOptions.SETTINGS, ConfigFile.read(file), env);
            cmd.setDefaultValueProvider(defaults);
            reread.defaults = defaults;
            cmd.parseArgs(args.toArray(String[]::new));
            reread.checkValues();
            next = reread.greylistSettings();
            nextRelay = reread.relaySettings(serverName);
            values = reread.settings();
        } catch (RuntimeException e) {
            // A mistake in the file (a ConfigException, a bad value: said with its line, as the start says it).
            String why = GreylitedCommand.locate(e, defaults, args);
            log.error("{}: not reloaded: {}; keeping the settings in force", file, why);
            return false;
        }
        boolean engineChanged = false;
        boolean sessionChanged = false;
        for (OptionSpec o : cmd.getCommandSpec().options()) {
            Setting<?> setting = EffectiveConfig.settable(o) ? GreylitedOptions.SETTINGS.setting(o) : null;
            if (setting == null) {
                continue;
            }
            Object now = values.held(setting);
            if (ENGINE.contains(setting) || SESSION.contains(setting)) {
                Object before = applied.held(setting);
                if (!Objects.equals(before, now)) {
                    log.info("{}: {} is now {} (was {}){}", file, setting.name(), text(now), text(before),
                            SESSION.contains(setting) ? "; for the sessions that start from now on" : "");
                    engineChanged |= ENGINE.contains(setting);
                    sessionChanged |= SESSION.contains(setting);
                }
            } else if (!Objects.equals(started.held(setting), now)) {
                log.warn("{}: {} = {} takes a restart (the server was built with it): keeping {} until greylited"
                        + " restarts", file, setting.name(), text(now), text(started.held(setting)));
            }
        }
        if (!engineChanged && !sessionChanged) {
            log.info("{}: reloaded, no setting that a reload applies changed", file);
            return true;
        }
        if (sessionChanged) {
            relay.set(nextRelay);
        }
        if (engineChanged) {
            engine.applySettings(next);
        }
        applied = values;
        log.info("{}: reloaded; min-delay {}, retry-window {}, whitelist-lifetime {}, client key {}{}", file,
                Durations.format(next.minDelay()), Durations.format(next.retryWindow()),
                Durations.format(next.whitelistLifetime()), values.held(Settings.CLIENT_KEY),
                next.failOpen() ? "" : ", fail closed");
        return true;
    }

    private static String text(Object held) {
        return held == null ? "(none)" : held instanceof List<?> list ? String.join(" ", list.stream()
                .map(String::valueOf).toList()) : held.toString();
    }
}
