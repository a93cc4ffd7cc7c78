package org.greylite.policy;

import java.util.Map;
import java.util.Set;

import org.greylite.settings.Program;
import org.greylite.settings.Setting;
import org.greylite.settings.Settings;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The defaults of greylite-policy's engine options, from the settings model: the setting's variable when
 * greylite-policy honours it and it is set, else the model's default. So a flag beats the variable, which beats
 * the default, as in greylited, and no default is written twice; the help shows them as {@code ${DEFAULT-VALUE}}.
 *
 * <p>Only the options named here: those whose value means what the model's setting of that name means. postgrey's
 * flags are left out even where a setting shares the name, since postgrey reads them its own way
 * ({@code --retry-window=2} is two days, {@code GREYLITE_RETRY_WINDOW=2} two seconds), and so are the options
 * another flag may stand for ({@code --whitelist-lifetime} and {@code --max-age}, {@code --client-key} and
 * {@code --lookup-by-host}), which must stay unset unless given.
 */
final class ModelDefaults implements IDefaultValueProvider {

    static final Set<String> FROM_THE_MODEL = Set.of("busy-timeout", "db-connections", "purge-interval", "max-pending",
            "metrics", "whitelist-memory");

    private final Map<String, String> env;

    ModelDefaults(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o)) {
            return null;
        }
        String name = o.longestName().replaceFirst("^--", "");
        if (!FROM_THE_MODEL.contains(name)) {
            return null;
        }
        Setting<?> s = Settings.byName(name);
        String fromEnv = s.fromEnvironment(env, Program.POLICY);
        return fromEnv != null ? fromEnv : s.defaultValue(Program.POLICY);
    }
}
