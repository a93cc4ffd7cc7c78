package org.greylite.daemon.config;

import java.util.List;
import java.util.Map;

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
     * @param regenerate the command that writes the page, named in its header
     * @throws IllegalStateException when an option has no stage in {@code catalog}
     */
    public static String render(CommandSpec spec, Map<String, OptionInfo> catalog, List<EnvironmentOnly> environment,
                                String regenerate) {
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
                + "(`5m`, `24h`, `36d`).\n");

        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        for (Stage stage : Stage.values()) {
            List<OptionSpec> inStage = options.stream().filter(o -> stageOf(o, catalog) == stage).toList();
            List<EnvironmentOnly> variables = environment.stream().filter(v -> v.stage() == stage).toList();
            if (inStage.isEmpty() && variables.isEmpty()) {
                continue;
            }
            b.append("\n## ").append(stage.title()).append("\n\n").append(stage.summary()).append("\n\n");
            for (OptionSpec o : inStage) {
                b.append("- ").append(entry(o, catalog.get(LayeredDefaults.key(o)))).append('\n');
            }
            for (EnvironmentOnly v : variables) {
                b.append("- `$").append(v.name()).append("` (environment only): ").append(v.description()).append('\n');
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

        b.append("\n## Environment variables\n\n| variable | setting |\n|---|---|\n");
        for (OptionSpec o : options) {
            OptionInfo info = catalog.get(LayeredDefaults.key(o));
            if (info != null && info.environment() != null) {
                b.append("| `").append(info.environment()).append("` | `").append(o.longestName()).append("` |\n");
            }
        }
        for (EnvironmentOnly v : environment) {
            b.append("| `").append(v.name()).append("` | none (see ").append(v.stage().title()).append(") |\n");
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

    private static String entry(OptionSpec o, OptionInfo info) {
        StringBuilder b = new StringBuilder("`").append(o.longestName());
        if (o.arity().max() > 0) {
            b.append(' ').append(o.paramLabel());
        }
        b.append('`');
        if (info.environment() != null) {
            b.append(", `$").append(info.environment()).append('`');
        }
        String d = OptionText.defaultText(o);
        if (d != null) {
            b.append(" (default ").append(d.isEmpty() ? "none" : d).append(')');
        }
        return b.append(": ").append(OptionText.sentence(o)).toString();
    }

    private static Stage stageOf(OptionSpec o, Map<String, OptionInfo> catalog) {
        OptionInfo info = catalog.get(LayeredDefaults.key(o));
        if (info == null) {
            throw new IllegalStateException("option " + o.longestName() + " has no stage: add it to the option catalog");
        }
        return info.stage();
    }
}
