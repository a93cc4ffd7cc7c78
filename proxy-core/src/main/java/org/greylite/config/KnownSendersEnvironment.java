package org.greylite.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Program;
import org.greylite.settings.Settings;

/**
 * The known senders that skip greylisting, as the environment names them ({@code GREYLITE_NO_SHIPPED_WHITELIST},
 * {@code GREYLITE_WHITELIST_FILES}, read through the settings model): the lists loaded, and a file that cannot be
 * read said with its variable. Nothing here looks at the process's own environment: callers pass it in.
 */
public final class KnownSendersEnvironment {

    private KnownSendersEnvironment() {
    }

    /**
     * The known senders that skip greylisting: the shipped list unless {@code GREYLITE_NO_SHIPPED_WHITELIST}
     * says otherwise, plus the files named (space-separated) in {@code GREYLITE_WHITELIST_FILES}.
     */
    public static KnownSenders knownSenders(Map<String, String> env) throws IOException {
        return knownSenders(env, Program.GREYLITE);
    }

    /**
     * {@link #knownSenders(Map)} as {@code program} reads the variables.
     *
     * @throws IllegalArgumentException naming the variable, the file and why, for a file that cannot be read
     * @throws IOException              when the shipped list is missing from the jar
     */
    public static KnownSenders knownSenders(Map<String, String> env, Program program) throws IOException {
        return knownSendersFiles(env, program).get();
    }

    /**
     * {@link #knownSenders(Map, Program)} for a long-running program, which reads the files again at SIGHUP.
     *
     * @throws IllegalArgumentException naming the variable, the file and why, for a file that cannot be read
     * @throws IOException              when the shipped list is missing from the jar
     */
    public static KnownSendersFiles knownSendersFiles(Map<String, String> env, Program program) throws IOException {
        EnvironmentSettings s = new EnvironmentSettings(env, program);
        List<Path> given = s.get(Settings.WHITELIST_FILE);
        List<Path> files = given == null ? List.of() : given;
        boolean shipped = !s.get(Settings.NO_SHIPPED_WHITELIST);
        try {
            return new KnownSendersFiles(shipped, files, KnownSenders.load(shipped, files));
        } catch (KnownSenders.UnreadableFile e) {
            throw FileErrors.unreadable(Settings.WHITELIST_FILE.variable(), e.file(), e.reason());
        }
    }
}
