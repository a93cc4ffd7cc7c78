package org.greylite.daemon.config;

import java.util.Objects;

/**
 * An environment variable the program reads that is no option's default (a password, say, which must not
 * appear on a command line): listed on the reference page with the options of its stage.
 *
 * @param name        the variable
 * @param stage       where it acts
 * @param description one sentence, with its default
 */
public record EnvironmentOnly(String name, Stage stage, String description) {

    public EnvironmentOnly {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(description, "description");
    }
}
