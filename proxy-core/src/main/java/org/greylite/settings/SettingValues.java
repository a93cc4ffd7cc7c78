package org.greylite.settings;

/**
 * Where a program reads its settings' values, whatever layers supply them: greylited's command line (flag,
 * configuration file, variable, default) or the environment of a program without one
 * ({@link EnvironmentSettings}). Code that builds a stage from settings asks this, not picocli or the
 * environment, so it does not care which program runs it.
 */
public interface SettingValues {

    /**
     * The setting's value, parsed by the model, or null when nothing gives it one.
     *
     * @throws IllegalArgumentException naming {@link #origin} of the value that is not one of the setting's
     */
    <T> T get(Setting<T> setting);

    /**
     * The name an error about the setting's value should give: where the administrator wrote it (a flag, a
     * variable).
     */
    String origin(Setting<?> setting);
}
