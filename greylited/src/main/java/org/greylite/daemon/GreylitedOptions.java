package org.greylite.daemon;

import static java.util.Map.entry;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.greylite.daemon.config.SettingOptions;
import org.greylite.settings.Program;

/**
 * greylited's options: one for each setting of the settings model ({@link org.greylite.settings.Settings}:
 * label, description, default, stage, variable), made by {@link SettingOptions}; the few options that are
 * no setting, only an instruction to this run of the command, are declared on {@link Greylited} and named
 * here. A test checks that every option is one or the other.
 */
final class GreylitedOptions {

    private GreylitedOptions() {
    }

    /** Options for the command itself: they cannot be written in the configuration file. */
    static final Set<String> COMMAND_LINE_ONLY = Set.of("config", "print-config", "print-reference", "help", "version");

    /**
     * The settings picocli holds as other than text. Numbers are converted when the command line is parsed,
     * so "--max-line lots" is a usage error in picocli's words, with the usage; lists add up over repeated
     * flags. Every other value (durations, names, paths) is held as written and read through the model when
     * greylited starts, an error naming the flag or the variable it came from.
     */
    private static final Map<String, Class<?>> HELD_AS = Map.ofEntries(
            entry("max-pending", Integer.class), entry("auto-whitelist-clients", Integer.class),
            entry("max-line", Integer.class),
            entry("junk-command-limit", Integer.class), entry("client-connection-limit", Integer.class),
            entry("client-connection-ipv6-prefix", Integer.class),
            entry("connection-limit", Integer.class), entry("db-connections", Integer.class),
            entry("io-threads", Integer.class), entry("log-threshold", Integer.class), entry("greet-delay", Long.class),
            entry("accept-proxy-protocol", List.class), entry("dns", List.class), entry("dnswl", List.class),
            entry("whitelist-file", List.class));

    static final SettingOptions SETTINGS = new SettingOptions(Program.GREYLITED, COMMAND_LINE_ONLY, HELD_AS);
}
