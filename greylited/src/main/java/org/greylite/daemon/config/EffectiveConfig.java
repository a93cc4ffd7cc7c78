package org.greylite.daemon.config;

import java.io.PrintWriter;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.greylite.settings.Stage;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code --print-config}: every setting's value in effect and where it came from (flag, config
 * FILE:LINE, env VARIABLE, default), written in the configuration file's own syntax, grouped by stage:
 * the output, trimmed, is a valid configuration file.
 */
public final class EffectiveConfig {

    private static final int VALUE_COLUMN = 44;

    private EffectiveConfig() {
    }

    public static void print(CommandSpec spec, ParseResult parsed, SettingOptions settings,
                             LayeredDefaults defaults, PrintWriter out) {
        out.println("# " + spec.name() + ": the settings in effect (a flag beats the configuration file, which beats "
                + "the environment, which beats the default)");
        if (defaults.fileName() != null) {
            out.println("# configuration file: " + defaults.fileName());
        }
        for (Stage stage : Stage.values()) {
            if (stage.inConfigFile()) {
                group(stage.title(), spec.options().stream()
                        .filter(o -> settable(o) && settings.stage(o) == stage).toList(), parsed, defaults, out);
            }
        }
        out.flush();
    }

    private static void group(String title, List<OptionSpec> options, ParseResult parsed, LayeredDefaults defaults,
                              PrintWriter out) {
        if (options.isEmpty()) {
            return;
        }
        out.println();
        out.println("# " + title);
        for (OptionSpec o : options) {
            out.println(line(o, defaults.source(o, parsed)));
        }
    }

    /** Options the configuration file can hold (those of {@link Stage#COMMAND}, help and hidden ones are not). */
    public static boolean settable(OptionSpec o) {
        return !o.hidden() && !o.usageHelp() && !o.versionHelp();
    }

    private static String line(OptionSpec o, LayeredDefaults.Source source) {
        String key = LayeredDefaults.key(o);
        String value = render(o.getValue());
        if (value == null) {
            String d = OptionText.defaultText(o);
            return pad("#" + key + " =") + "# not set" + (d == null ? "" : " (default: " + d + ")");
        }
        return pad(key + " = " + ConfigFile.quote(mask(key, value))) + "# " + source;
    }

    private static String pad(String s) {
        return s.length() >= VALUE_COLUMN ? s + "  " : s + " ".repeat(VALUE_COLUMN - s.length());
    }

    private static String render(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Collection<?> c) {
            return c.isEmpty() ? null : c.stream().map(String::valueOf).collect(Collectors.joining(" "));
        }
        return String.valueOf(v);
    }

    /** Secrets stay out of terminals and bug reports: passwords, and the password part of a URL. */
    static String mask(String key, String value) {
        String k = key.toLowerCase(Locale.ROOT);
        if (k.contains("password") || k.contains("secret")) {
            return "********";
        }
        return value.replaceAll("(://[^/@\\s:]*:)[^/@\\s]*@", "$1********@")
                .replaceAll("(?i)(password=)[^&\\s]*", "$1********");
    }
}
