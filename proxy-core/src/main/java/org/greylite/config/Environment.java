package org.greylite.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.KnownSendersFiles;
import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Program;
import org.greylite.settings.Setting;
import org.greylite.settings.Settings;
import org.greylite.store.GreydbLocation;

/**
 * The greylite(8) environment variables (SPEC §4) as the tcpserver wrapper reads them: shortcuts over the
 * settings model ({@link Settings}, read through {@link EnvironmentSettings}), which holds every variable's
 * name, meaning and default. Nothing here looks at the process's own environment: callers pass it in.
 */
public final class Environment {

    /** greylite(8)'s default greydb, for {@code DBFILE}. */
    public static final String DEFAULT_DBFILE = Settings.DEFAULT_DBFILE;

    private Environment() {
    }

    private static EnvironmentSettings wrapper(Map<String, String> env) {
        return new EnvironmentSettings(env, Program.GREYLITE);
    }

    /** {@code DBFILE}, or the default greydb path. */
    public static Path dbFile(Map<String, String> env) {
        return Path.of(wrapper(env).get(Settings.DB));
    }

    /**
     * {@code DBFILE} as a greydb location: a path (SQLite) or a {@code postgresql://} URL. Not a {@link Path}:
     * that would fold the URL's {@code //}.
     */
    public static GreydbLocation dbLocation(Map<String, String> env) {
        return GreydbLocation.parse(wrapper(env).get(Settings.DB), env);
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
        java.util.List<Path> given = s.get(Settings.WHITELIST_FILE);
        java.util.List<Path> files = given == null ? java.util.List.of() : given;
        boolean shipped = !s.get(Settings.NO_SHIPPED_WHITELIST);
        try {
            return new KnownSendersFiles(shipped, files, KnownSenders.load(shipped, files));
        } catch (KnownSenders.UnreadableFile e) {
            throw FileErrors.unreadable(Settings.WHITELIST_FILE.variable(), e.file(), e.reason());
        }
    }

    /** {@code SUSPICION}, or null when unset or blank. */
    public static Path suspicionFile(Map<String, String> env) {
        return wrapper(env).get(Settings.SUSPICION);
    }

    /**
     * {@code GREETDELAY}: unset means no delay; set means on, with its value as the delay in ms when it
     * is a positive integer and {@link org.greylite.relay.RelaySettings#DEFAULT_GREET_DELAY_MS} otherwise
     * (greylite(8) treats {@code GREETDELAY=""} as "on, default delay").
     */
    public static long greetDelayMillis(Map<String, String> env) {
        return wrapper(env).get(Settings.GREET_DELAY);
    }

    /**
     * A duration variable ({@code 300}, {@code 5m}, {@code 24h}, {@code 36d}) of the model, or {@code fallback}
     * when it is unset or blank.
     *
     * @throws IllegalArgumentException naming the variable, when its value is not a duration
     */
    public static Duration duration(Map<String, String> env, String variable, Duration fallback) {
        Setting<?> setting = Settings.ALL.stream().filter(s -> variable.equals(s.variable())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(variable + " is no setting's variable"));
        EnvironmentSettings s = wrapper(env);
        return s.isSet(setting) ? (Duration) s.get(setting) : fallback;
    }

    /**
     * {@code base} with the decision settings of the environment applied where they are set: the durations of
     * {@code GREYLITE_MIN_DELAY}, {@code GREYLITE_RETRY_WINDOW} and {@code GREYLITE_WHITELIST_LIFETIME}, the
     * client identity of {@code GREYLITE_CLIENT_KEY} ({@code ip}, {@code net} or {@code smart}) and
     * {@code GREYLITE_FAIL_CLOSED}, the cap on pending triplets of {@code GREYLITE_MAX_PENDING}, and the passes
     * that earn the auto-whitelist of {@code GREYLITE_AUTO_WHITELIST_CLIENTS}.
     *
     * @throws IllegalArgumentException naming the variable at fault
     */
    public static GreylistSettings greylistSettings(Map<String, String> env, GreylistSettings base) {
        EnvironmentSettings s = wrapper(env);
        return new GreylistSettings(
                s.isSet(Settings.MIN_DELAY) ? s.get(Settings.MIN_DELAY) : base.minDelay(),
                s.isSet(Settings.RETRY_WINDOW) ? s.get(Settings.RETRY_WINDOW) : base.retryWindow(),
                s.isSet(Settings.WHITELIST_LIFETIME) ? s.get(Settings.WHITELIST_LIFETIME) : base.whitelistLifetime(),
                s.isSet(Settings.CLIENT_KEY) ? s.get(Settings.CLIENT_KEY) : base.clientKeys(),
                s.isSet(Settings.FAIL_CLOSED) ? !s.get(Settings.FAIL_CLOSED) : base.failOpen(),
                base.normalizeSenders(), base.exemptRecipients(), base.whitelistMemory(),
                s.isSet(Settings.MAX_PENDING) ? s.get(Settings.MAX_PENDING) : base.maxPending(),
                s.isSet(Settings.AUTO_WHITELIST_CLIENTS) ? s.get(Settings.AUTO_WHITELIST_CLIENTS) : base.autoWhitelistPasses());
    }
}
