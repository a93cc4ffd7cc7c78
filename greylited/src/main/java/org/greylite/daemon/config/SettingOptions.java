package org.greylite.daemon.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.greylite.settings.Program;
import org.greylite.settings.Setting;
import org.greylite.settings.Settings;
import org.greylite.settings.Stage;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A command's options as the settings model declares them. The command's {@code @Option} fields name a
 * setting and say how its value is held (a field's type, a list's separators); everything an administrator
 * reads (parameter label, description, default) comes from the model ({@link Settings}), so greylited's
 * help, its configuration file, {@code --print-config}, the reference page and the wrapper's environment
 * cannot tell different stories.
 *
 * <p>Why rebuild picocli's options rather than declare them in code from the model: the annotated fields
 * keep the program's code as it reads best ({@code app.minDelay}), and picocli keeps binding values to them;
 * only the text moves.
 */
public final class SettingOptions {

    private final Program program;
    private final Set<String> commandLineOnly;

    /**
     * @param program         whose defaults and variables apply
     * @param commandLineOnly options that are no setting ({@code --config}, {@code --help}...): stage
     *                        {@link Stage#COMMAND}, kept as declared
     */
    public SettingOptions(Program program, Set<String> commandLineOnly) {
        this.program = program;
        this.commandLineOnly = Set.copyOf(commandLineOnly);
    }

    public Program program() {
        return program;
    }

    /**
     * Gives each of {@code spec}'s options named after a setting the model's label, description and default,
     * in place, keeping the options' order.
     *
     * @throws IllegalStateException for an option that is neither a setting nor command-line-only
     */
    public void apply(CommandSpec spec) {
        List<OptionSpec> options = new ArrayList<>(spec.options());
        for (OptionSpec o : options) {
            spec.remove(o);
        }
        for (OptionSpec o : options) {
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
            spec.addOption(b.build());
        }
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
