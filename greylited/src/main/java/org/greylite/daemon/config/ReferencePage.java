package org.greylite.daemon.config;

import java.util.List;
import java.util.stream.Collectors;

import org.greylite.settings.Setting;
import org.greylite.settings.Settings;
import org.greylite.settings.Stage;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The configuration reference ({@code docs/configuration.md}), written from the same model as {@code --help}:
 * each option's names, parameter label and description, grouped by its {@link Stage}. Postfix's
 * postconf(5) is the model: one entry per setting, "name (default)" and what it does.
 */
public final class ReferencePage {

    private ReferencePage() {
    }

    /**
     * @param settings   the settings behind {@code spec}'s options
     * @param regenerate the command that writes the page, named in its header
     * @throws IllegalStateException when an option is not in the settings model
     */
    public static String render(CommandSpec spec, SettingOptions settings, String regenerate) {
        List<Setting<?>> environment = Settings.ALL.stream().filter(s -> !s.hasFlag()).toList();
        String name = spec.name();
        StringBuilder b = new StringBuilder();
        b.append("# ").append(name).append(" configuration reference\n\n");
        b.append("<!-- Generated from ").append(name).append("'s options, the text of `").append(name)
                .append(" --help`: do not edit.\n     Regenerate with `").append(regenerate)
                .append("`; a test fails while this file is out of date. -->\n\n");
        b.append("Every setting of `").append(name).append("` is a flag. Each can also be written in the "
                + "configuration file (`--config FILE`, see below) and some are read from an environment variable "
                + "(greylite(8)'s, where it has one). A setting given in several places takes the **flag**, else "
                + "the **configuration file**, else the **environment variable**, else the **default**. `")
                .append(name).append(" --print-config` shows the value in effect for each and where it came from.\n\n");
        b.append("Durations are seconds (`300`) or a number with a unit `s`, `m`, `h`, `d` or `w` "
                + "(`5m`, `24h`, `36d`), at most 100 years (`36500d`).\n");

        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        for (Stage stage : Stage.values()) {
            List<OptionSpec> inStage = options.stream().filter(o -> settings.stage(o) == stage).toList();
            List<Setting<?>> variables = environment.stream().filter(v -> v.stage() == stage).toList();
            if (inStage.isEmpty() && variables.isEmpty()) {
                continue;
            }
            b.append("\n## ").append(stage.title()).append("\n\n").append(stage.summary()).append("\n\n");
            for (OptionSpec o : inStage) {
                b.append("- ").append(entry(o, settings.setting(o))).append('\n');
            }
            for (Setting<?> v : variables) {
                b.append("- `$").append(v.variable()).append("` (environment only; ").append(readers(v)).append("): ")
                        .append(v.description()).append('\n');
            }
        }

        b.append("\n## Configuration file\n\n");
        b.append("`--config FILE` reads settings from FILE (UTF-8), so that a service unit needs no long command "
                + "line. One setting per line, `name = value`, where `name` is the flag's long name without `--`:\n\n");
        b.append("```\n# greylited.conf\nlisten = 0.0.0.0:25\nupstream = 127.0.0.1:10025\nmin-delay = 5m   # a comment\n"
                + "fail-closed = false\ndns = 192.0.2.53 192.0.2.54\ngreylist-reply = \"451 4.7.1 <{rcpt}>: greylisted #1\"\n```\n\n");
        b.append("- Blank lines and lines starting with `#` are ignored; `#` after white space starts a comment.\n");
        b.append("- A value in double quotes is taken as written (`\\\"` and `\\\\` inside), to keep a ` #` or "
                + "outer spaces.\n");
        b.append("- On/off settings take `true`/`false` (or `yes`/`no`, `on`/`off`, `1`/`0`); list settings take "
                + "space-separated values, or the same name on several lines.\n");
        b.append("- An unknown name, a setting given twice, a line without `=` or a bad value stops ").append(name)
                .append(" with an error naming the file and line.\n");
        b.append("- Options of the \"Command line\" section cannot be set in the file.\n");
        b.append("- `").append(name).append(" --print-config` prints the settings in effect in this format.\n");

        b.append("\n## Environment variables\n\n");
        b.append("`").append(name).append("` reads a setting's variable when neither a flag nor the configuration file "
                + "sets it. The tcpserver wrapper `greylite` has no flags and no configuration file: it reads the "
                + "variables marked `greylite` below, each with the meaning and default of the setting it stands for. "
                + "On/off variables of greylite(8) (`LOGPID`, `GREYLIST`) are on when set, whatever their value; the "
                + "`GREYLITE_*` ones are on when set, except to `0`, `no`, `false` or `off`. The decision services "
                + "`greylite-policy` and `greydaemon` read the variables marked with their names where their own "
                + "flags leave a setting unset (greydaemon's `-m`, `-g`, `-t` win over the variables), with the "
                + "defaults shown, greydaemon's own where it has one. `greylitectl` reads those marked with its name "
                + "where its flags leave them unset; for the lifetimes, the values the greydb recorded come before "
                + "the defaults.\n\n");
        b.append("| variable | setting | read by |\n|---|---|---|\n");
        for (Setting<?> s : Settings.ALL) {
            if (s.variable() == null || (s.hasFlag() && !shown(options, s))) {
                continue;
            }
            b.append("| `").append(s.variable()).append("` | ")
                    .append(s.hasFlag() ? "`" + s.flag() + "`" : "none (see " + s.stage().title() + ")")
                    .append(" | ").append(readers(s)).append(" |\n");
        }

        b.append("\n## Files\n\n| setting | default |\n|---|---|\n");
        for (OptionSpec o : options) {
            String label = o.paramLabel();
            if (o.arity().max() > 0 && (label.contains("FILE") || label.contains("DIR"))) {
                String d = OptionText.defaultText(o);
                b.append("| `").append(o.longestName()).append("` | ").append(d == null ? "none" : d.replace("|", "\\|"))
                        .append(" |\n");
            }
        }
        return b.toString();
    }

    private static String entry(OptionSpec o, Setting<?> setting) {
        StringBuilder b = new StringBuilder("`").append(o.longestName());
        if (o.arity().max() > 0) {
            b.append(' ').append(o.paramLabel());
        }
        b.append('`');
        if (setting != null && setting.variable() != null) {
            b.append(", `$").append(setting.variable()).append('`');
        }
        String d = OptionText.defaultText(o);
        if (d != null) {
            b.append(" (default ").append(d.isEmpty() ? "none" : d).append(')');
        }
        return b.append(": ").append(OptionText.sentence(o)).toString();
    }

    private static boolean shown(List<OptionSpec> options, Setting<?> s) {
        return options.stream().anyMatch(o -> o.longestName().equals(s.flag()));
    }

    /** The programs that read the setting's variable, with a program's own default where it differs. */
    private static String readers(Setting<?> s) {
        return s.honouredBy().stream().sorted().map(p -> {
            String own = s.programDefaults().get(p);
            return p.command() + (own == null ? "" : " (default " + own + ")");
        }).collect(Collectors.joining(", "));
    }
}
