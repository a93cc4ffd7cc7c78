package org.greylite.daemon.config;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * What the command's model does not say about an option: its stage, and the environment variable that
 * supplies its default when neither the command line nor the configuration file sets it.
 *
 * @param stage       where it acts
 * @param environment the variable, or null
 * @param fromEnvironment turns the variable's value into the option's value, or null to treat it as unset
 */
public record OptionInfo(Stage stage, String environment, UnaryOperator<String> fromEnvironment) {

    public OptionInfo {
        Objects.requireNonNull(stage, "stage");
        if (environment != null) {
            Objects.requireNonNull(fromEnvironment, "fromEnvironment");
        }
    }

    /** An option without a variable. */
    public static OptionInfo of(Stage stage) {
        return new OptionInfo(stage, null, null);
    }

    /** An option whose default is the variable's value; a blank value counts as unset. */
    public static OptionInfo env(Stage stage, String variable) {
        return new OptionInfo(stage, variable, v -> v.isBlank() ? null : v.strip());
    }

    /** An option whose default the variable's value gives through {@code fromEnvironment}. */
    public static OptionInfo env(Stage stage, String variable, UnaryOperator<String> fromEnvironment) {
        return new OptionInfo(stage, variable, fromEnvironment);
    }
}
