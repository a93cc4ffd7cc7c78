package org.greylite.daemon.config;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.settings.Setting;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The defaults of a command's options, in layers: what the configuration file sets, else what the setting's
 * environment variable says (where the settings model has the command's program honour one), else nothing,
 * and picocli falls back to the model's default ({@link SettingOptions}). A flag on the command line beats all three. So:
 * flag, then configuration file, then environment variable, then built-in default.
 *
 * <p>Everything is read from picocli's model of the command, not written per option: a new option is in
 * the configuration file, {@code --print-config} and the reference page as soon as it is declared.
 */
public final class LayeredDefaults implements IDefaultValueProvider {

    /** Where an option's value came from. */
    public enum Origin { FLAG, CONFIG, ENV, DEFAULT }

    /** Where an option's value came from, and which file line or variable it was. */
    public record Source(Origin origin, String detail) {
        @Override
        public String toString() {
            return origin.name().toLowerCase(Locale.ROOT) + (detail == null ? "" : " " + detail);
        }
    }

    /** A value from the configuration file, and where. */
    private record FileValue(String value, String where, String name, String raw) {
    }

    private final SettingOptions settings;
    private final Map<String, String> env;
    private final Map<String, FileValue> fromFile = new HashMap<>();
    private final String fileName;

    /**
     * @param spec     the command, whose options the file may set
     * @param settings the settings behind the command's options
     * @param file     the configuration file, or {@link ConfigFile#none()}
     * @param env      the environment
     * @throws ConfigException for a setting the command does not have, or set twice
     */
    public LayeredDefaults(CommandSpec spec, SettingOptions settings, ConfigFile file, Map<String, String> env) {
        this.settings = settings;
        this.env = Map.copyOf(env);
        this.fileName = file.fileName();
        Map<String, Integer> firstLine = new HashMap<>();
        for (ConfigFile.Entry e : file.entries()) {
            String where = file.where(e);
            OptionSpec o = spec.findOption("--" + e.name());
            if (o == null || !e.name().equals(key(o)) || o.hidden() || o.usageHelp() || o.versionHelp()) {
                throw new ConfigException(where + ": unknown setting '" + e.name() + "' (settings are greylited's flags "
                        + "without --; 'greylited --help' lists them)");
            }
            Setting<?> setting = settings.setting(o);
            if (setting == null) {
                throw new ConfigException(where + ": '" + e.name() + "' can only be given on the command line");
            }
            String value = o.arity().max() == 0 ? bool(setting, e.value(), where) : e.value();
            Integer earlier = firstLine.putIfAbsent(e.name(), e.line());
            if (earlier != null && !joinable(o)) {
                throw new ConfigException(where + ": '" + e.name() + "' is already set on line " + earlier);
            }
            FileValue before = fromFile.get(e.name());
            // Repeated lines of a list setting (dns) add to it, as repeated flags do.
            fromFile.put(e.name(), before == null ? new FileValue(value, where, e.name(), e.value())
                    : new FileValue(before.value() + " " + value, before.where(), e.name(), before.raw() + " " + e.value()));
        }
    }

    /** Repeated lines of a list option add up only if picocli splits its values at a space, as they are joined. */
    private static boolean joinable(OptionSpec o) {
        return o.isMultiValue() && !o.splitRegex().isEmpty() && " ".matches(o.splitRegex());
    }

    /** An option's name in the configuration file: its long name without {@code --}. */
    public static String key(OptionSpec o) {
        return o.longestName().replaceFirst("^--?", "");
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o)) {
            return null;
        }
        String key = key(o);
        FileValue f = fromFile.get(key);
        if (f != null) {
            return literal(f.value());
        }
        Setting<?> setting = settings.setting(o);
        String v = fromEnvironment(setting);
        return v == null ? null : literal(o.arity().max() == 0 ? bool(setting, v, setting.variable()) : v);
    }

    /** Where {@code o}'s value came from, after {@code parsed}. */
    public Source source(OptionSpec o, ParseResult parsed) {
        if (parsed != null && parsed.hasMatchedOption(o)) {
            return new Source(Origin.FLAG, null);
        }
        String key = key(o);
        FileValue f = fromFile.get(key);
        if (f != null) {
            return new Source(Origin.CONFIG, f.where());
        }
        Setting<?> setting = settings.setting(o);
        if (fromEnvironment(setting) != null) {
            return new Source(Origin.ENV, setting.variable());
        }
        return new Source(Origin.DEFAULT, null);
    }

    /**
     * The configuration line an error message is about (it names the flag, or
     * quotes the value), or null: so that a bad value read from the file is reported with its place.
     */
    public Located locate(String message) {
        if (message == null) {
            return null;
        }
        // The flag the message names first is the one it is about ("--upstream (...) is greylited's own --listen"),
        // named whole: "--upstream-tls wants off or starttls" is no word about the file's upstream line.
        Located first = null;
        int firstAt = Integer.MAX_VALUE;
        for (FileValue f : fromFile.values()) {
            Matcher flag = Pattern.compile("--" + Pattern.quote(f.name()) + "(?![a-z0-9-])").matcher(message);
            if (flag.find() && flag.start() < firstAt) {
                firstAt = flag.start();
                first = new Located(f.name(), f.where());
            }
        }
        if (first != null) {
            return first;
        }
        for (FileValue f : fromFile.values()) {
            if (message.contains("'" + f.raw() + "'") || message.contains("'" + f.value() + "'")) {
                return new Located(f.name(), f.where());
            }
        }
        return null;
    }

    /** A setting of the configuration file, and its {@code FILE:LINE}. */
    public record Located(String name, String where) {
    }

    /** The configuration file's name, or null when there is none. */
    public String fileName() {
        return fileName;
    }

    private String fromEnvironment(Setting<?> setting) {
        return setting == null ? null : setting.fromEnvironment(env, settings.program());
    }

    /** picocli expands {@code ${...}} in default values; what the administrator wrote is meant literally. */
    private static String literal(String v) {
        return v.replace("${", "$${");
    }

    /** An on/off setting's value as picocli takes it, read as the model reads it. */
    private static String bool(Setting<?> setting, String v, String where) {
        try {
            return String.valueOf(setting.parse(v));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + setting.name() + " " + e.getMessage());
        }
    }

    /**
     * The value of {@code --config} (or {@code --config=FILE}) among {@code args}, read before the command
     * line is parsed, because the file supplies the other options' defaults.
     */
    public static Path configFile(List<String> args, String option) {
        Objects.requireNonNull(option);
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                break;
            }
            if (a.equals(option) && i + 1 < args.size()) {
                return Path.of(args.get(i + 1));
            }
            if (a.startsWith(option + "=")) {
                return Path.of(a.substring(option.length() + 1));
            }
        }
        return null;
    }
}
