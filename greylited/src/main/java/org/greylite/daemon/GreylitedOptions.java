package org.greylite.daemon;

import java.util.Set;

import org.greylite.daemon.config.SettingOptions;
import org.greylite.settings.Program;

/**
 * greylited's options: its settings are declared in the settings model ({@link org.greylite.settings.Settings}:
 * label, description, default, stage, variable); the few options that are no setting, only an instruction
 * to this run of the command, are named here. A test checks that every option is one or the other.
 */
final class GreylitedOptions {

    private GreylitedOptions() {
    }

    /** Options for the command itself: they cannot be written in the configuration file. */
    static final Set<String> COMMAND_LINE_ONLY = Set.of("config", "print-config", "print-reference", "help", "version");

    static final SettingOptions SETTINGS = new SettingOptions(Program.GREYLITED, COMMAND_LINE_ONLY);
}
