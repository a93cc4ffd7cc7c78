package org.greylite.daemon.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.greylite.settings.Program;
import org.greylite.settings.Setting;
import org.greylite.settings.Settings;
import org.greylite.settings.Stage;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A command's options, made from the settings model: one option for each setting with a flag, its name,
 * label, description and default the model's ({@link Settings}), so greylited's help, its configuration
 * file, {@code --print-config}, the reference page and the wrapper's environment cannot tell different
 * stories. The command declares only what is no setting ({@code --config}, {@code --help}...).
 *
 * <p>Why generated rather than an annotated field per setting: such a field repeated the model's name and
 * said nothing the model does not, and a setting added to the model had to be added there too. What the
 * model cannot say, how picocli holds a value, the command says for the few settings not held as text
 * ({@link #SettingOptions}); values are read back through {@link CommandLineSettings}.
 */
public final class SettingOptions {

    /** The types of a declared option that {@link #apply} has the setting's parser convert. */
    private static final Set<Class<?>> NUMBERS = Set.of(int.class, Integer.class, long.class, Long.class);

    /** Items of a list setting, given once with commas or spaces, or by repeating the flag. */
    private static final String LIST_SEPARATORS = "[\\s,]+";

    private final Program program;
    private final Set<String> commandLineOnly;
    private final Map<String, Class<?>> heldAs;

    /**
     * @param program         whose defaults and variables apply
     * @param commandLineOnly options that are no setting ({@code --config}, {@code --help}...): stage
     *                        {@link Stage#COMMAND}, kept as declared
     * @param heldAs          how picocli holds the settings whose value is not text: {@code Integer.class},
     *                        {@code Long.class} (converted, a bad number refused when the command line is
     *                        parsed), {@code List.class} (texts split at commas and spaces); an on/off
     *                        setting (one without a label) is a flag
     */
    public SettingOptions(Program program, Set<String> commandLineOnly, Map<String, Class<?>> heldAs) {
        this.program = program;
        this.commandLineOnly = Set.copyOf(commandLineOnly);
        this.heldAs = Map.copyOf(heldAs);
    }

    public Program program() {
        return program;
    }

    /**
     * Adds to {@code spec} an option for each setting with a flag, in the model's order, before the options
     * the command declared itself.
     *
     * @throws IllegalStateException for a declared option that is not command-line-only
     */
    public void addTo(CommandSpec spec) {
        List<OptionSpec> declared = new ArrayList<>(spec.options());
        for (OptionSpec o : declared) {
            spec.remove(o);
        }
        for (Setting<?> s : Settings.FLAGS) {
            spec.addOption(option(s));
        }
        for (OptionSpec o : declared) {
            if (setting(o) != null) {
                throw new IllegalStateException("option --" + LayeredDefaults.key(o) + " is declared by the command "
                        + "and by the settings model: the model's is the one");
            }
            spec.addOption(o);
        }
    }

    /**
     * Completes the options a command declared itself as annotated fields (greylite-policy, which takes only
     * the engine's settings beside postgrey's own flags): a declared option that names a setting gets the
     * model's description, label and default, so it cannot tell a story of its own.
     */
    public void apply(CommandSpec spec) {
        List<OptionSpec> declared = new ArrayList<>(spec.options());
        for (OptionSpec o : declared) {
            spec.remove(o);
        }
        for (OptionSpec o : declared) {
            Setting<?> s = setting(o);
            if (s == null) {
                spec.addOption(o);
                continue;
            }
            OptionSpec.Builder b = OptionSpec.builder(o).description(s.description());
            if (s.label() != null) {
                b.paramLabel(s.label());
            }
            // An on/off flag is off unless given: its default is picocli's, stated "off" on the reference page.
            if (o.arity().max() > 0) {
                b.defaultValue(s.defaultValue(program));
            }
            if (NUMBERS.contains(o.type()) && o.arity().max() > 0) {
                // A number declared as an int field: the setting's parser, not picocli's, so that its range is
                // checked (greylite-policy's --max-pending -1 was taken) and said in the setting's words.
                parsedByTheSetting(b, s);
            }
            spec.addOption(b.build());
        }
    }

    private OptionSpec option(Setting<?> s) {
        OptionSpec.Builder b = OptionSpec.builder(s.flag()).description(s.description());
        if (s.label() == null) {
            // An on/off flag is off unless given: its default is picocli's, stated "off" on the reference page.
            return b.type(boolean.class).initialValue(false).build();
        }
        b.paramLabel(s.label()).defaultValue(s.defaultValue(program));
        Class<?> held = heldAs.getOrDefault(s.name(), String.class);
        if (held == List.class) {
            b.type(List.class).auxiliaryTypes(String.class).splitRegex(LIST_SEPARATORS).splitRegexSynopsisLabel(",");
        } else {
            b.type(held);
            if (held != String.class) {
                parsedByTheSetting(b, s);
            }
        }
        return b.build();
    }

    /**
     * picocli's own conversion would take any number: the setting's parser also checks its range, so that a bad
     * value is a usage error naming its flag (its FILE:LINE, or its variable, when it came from there).
     */
    private static void parsedByTheSetting(OptionSpec.Builder b, Setting<?> s) {
        b.converters(text -> {
            try {
                return s.parse(text);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        });
    }

    /**
     * The setting behind option {@code o}, or null for a command-line-only one.
     *
     * @throws IllegalStateException for an option that is neither
     */
    public Setting<?> setting(OptionSpec o) {
        String key = LayeredDefaults.key(o);
        if (commandLineOnly.contains(key) || o.usageHelp() || o.versionHelp()) {
            return null;
        }
        Setting<?> s = Settings.byName(key);
        if (s == null || !s.hasFlag()) {
            throw new IllegalStateException("option --" + key + " is not declared in the settings model "
                    + "(org.greylite.settings.Settings) nor command-line-only");
        }
        return s;
    }

    /** Where option {@code o} acts: its setting's stage, or {@link Stage#COMMAND}. */
    public Stage stage(OptionSpec o) {
        Setting<?> s = setting(o);
        return s == null ? Stage.COMMAND : s.stage();
    }
}
