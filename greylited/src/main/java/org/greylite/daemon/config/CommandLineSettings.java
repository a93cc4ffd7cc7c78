package org.greylite.daemon.config;

import java.util.List;

import org.greylite.settings.Setting;
import org.greylite.settings.SettingValues;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The settings' values after greylited's command line was parsed: what picocli holds for each setting's
 * option (the flag, else the configuration file's line, else the variable, else the model's default), read
 * through the model, so a value means the same here as in the wrapper's environment.
 */
public final class CommandLineSettings implements SettingValues {

    private final CommandSpec spec;
    private final LayeredDefaults defaults;

    /**
     * @param spec     the parsed command, its options made by {@link SettingOptions}
     * @param defaults where the options' defaults came from, or null when the command line was parsed
     *                 without the configuration layers (every value is then a flag's or the model's)
     */
    public CommandLineSettings(CommandSpec spec, LayeredDefaults defaults) {
        this.spec = spec;
        this.defaults = defaults;
    }

    /**
     * The value as picocli holds it: text, a list of texts, a number or an on/off flag (see
     * {@link SettingOptions}); null when nothing gives one.
     */
    public Object held(Setting<?> setting) {
        return option(setting).getValue();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        Object held = held(setting);
        if (held == null) {
            return null;
        }
        if (!(held instanceof String) && !(held instanceof List<?>)) {
            return (T) held; // a number or a flag: picocli converted it when the command line was parsed
        }
        String text = held instanceof List<?> list ? String.join(" ", list.stream().map(String::valueOf).toList())
                : (String) held;
        try {
            return setting.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin(setting) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The value, a bad one being a mistake in how greylited was called (exit status 2, and a line saying where the
     * options are listed) rather than a failure to start.
     *
     * @throws CommandLine.ParameterException naming where the value came from
     */
    public <T> T usage(Setting<T> setting) {
        try {
            return get(setting);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /**
     * Its variable when the value came from there, else its flag (a value from the configuration file is
     * located by the flag, see {@code GreylitedCommand}).
     */
    @Override
    public String origin(Setting<?> setting) {
        if (defaults != null && setting.variable() != null
                && defaults.source(option(setting), spec.commandLine().getParseResult()).origin()
                        == LayeredDefaults.Origin.ENV) {
            return setting.variable();
        }
        return setting.flag();
    }

    private OptionSpec option(Setting<?> setting) {
        OptionSpec o = spec.findOption(setting.flag());
        if (o == null) {
            throw new IllegalArgumentException(setting + " is no option of " + spec.name());
        }
        return o;
    }
}
