package org.greylite.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.relay.RelaySettings;

/**
 * The greylite(8) environment variables (SPEC §4), read the same way by the tcpserver wrapper
 * {@code greylite} and by {@code greylited} (where a flag, when given, wins over the variable).
 * Nothing here looks at the process's own environment: callers pass it in, so tests can too.
 */
public final class Environment {

    /** greylite(8)'s default greydb, for {@code DBFILE}. */
    public static final String DEFAULT_DBFILE = "/var/db/greylite/greylite.db";

    private Environment() {
    }

    /** {@code DBFILE}, or the default greydb path. */
    public static Path dbFile(Map<String, String> env) {
        String v = env.get("DBFILE");
        return Path.of(v == null || v.isBlank() ? DEFAULT_DBFILE : v);
    }

    /**
     * {@code DBFILE} as a greydb location: a path (SQLite) or a {@code postgresql://} URL. Not a {@link Path}:
     * that would fold the URL's {@code //}.
     */
    public static org.greylite.store.GreydbLocation dbLocation(Map<String, String> env) {
        String v = env.get("DBFILE");
        return org.greylite.store.GreydbLocation.parse(v == null || v.isBlank() ? DEFAULT_DBFILE : v);
    }

    /**
     * The known senders that skip greylisting: the shipped list unless {@code GREYLITE_NO_SHIPPED_WHITELIST}
     * is set, plus the files named (space-separated) in {@code GREYLITE_WHITELIST_FILES}.
     */
    public static org.greylite.greylist.KnownSenders knownSenders(Map<String, String> env) throws java.io.IOException {
        String files = env.getOrDefault("GREYLITE_WHITELIST_FILES", "").trim();
        java.util.List<Path> paths = files.isEmpty() ? java.util.List.of()
                : java.util.Arrays.stream(files.split("\\s+")).map(Path::of).toList();
        return org.greylite.greylist.KnownSenders.load(!env.containsKey("GREYLITE_NO_SHIPPED_WHITELIST"), paths);
    }

    /** {@code SUSPICION}, or null when unset or blank. */
    public static Path suspicionFile(Map<String, String> env) {
        String v = env.get("SUSPICION");
        return v == null || v.isBlank() ? null : Path.of(v);
    }

    /**
     * {@code GREETDELAY}: unset means no delay; set means on, with its value as the delay in ms when it
     * is a positive integer and {@link RelaySettings#DEFAULT_GREET_DELAY_MS} otherwise (greylite(8)
     * treats {@code GREETDELAY=""} as "on, default delay").
     */
    public static long greetDelayMillis(Map<String, String> env) {
        String v = env.get("GREETDELAY");
        if (v == null) {
            return 0;
        }
        try {
            long ms = Long.parseLong(v.trim());
            return ms > 0 ? ms : RelaySettings.DEFAULT_GREET_DELAY_MS;
        } catch (NumberFormatException e) {
            return RelaySettings.DEFAULT_GREET_DELAY_MS;
        }
    }

    /**
     * A duration variable ({@code 300}, {@code 5m}, {@code 24h}, {@code 36d}), or {@code fallback} when
     * it is unset or blank.
     *
     * @throws IllegalArgumentException naming the variable, when its value is not a duration
     */
    public static Duration duration(Map<String, String> env, String variable, Duration fallback) {
        String v = env.get(variable);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Durations.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(variable + ": " + e.getMessage());
        }
    }

    /**
     * {@code base} with the durations of {@code GREYLITE_MIN_DELAY}, {@code GREYLITE_RETRY_WINDOW} and
     * {@code GREYLITE_WHITELIST_LIFETIME}, and the client identity of {@code GREYLITE_CLIENT_KEY}
     * ({@code ip}, {@code net} or {@code smart}), applied where they are set.
     *
     * @throws IllegalArgumentException naming the variable at fault
     */
    public static GreylistSettings greylistSettings(Map<String, String> env, GreylistSettings base) {
        org.greylite.greylist.ClientKeys keys = base.clientKeys();
        String k = env.get("GREYLITE_CLIENT_KEY");
        if (k != null && !k.isBlank()) {
            try {
                keys = org.greylite.greylist.ClientKeys.parse(k);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("GREYLITE_CLIENT_KEY: " + e.getMessage());
            }
        }
        return new GreylistSettings(
                duration(env, "GREYLITE_MIN_DELAY", base.minDelay()),
                duration(env, "GREYLITE_RETRY_WINDOW", base.retryWindow()),
                duration(env, "GREYLITE_WHITELIST_LIFETIME", base.whitelistLifetime()),
                keys, base.failOpen(), base.normalizeSenders(), base.exemptRecipients(), base.whitelistMemory());
    }

    /**
     * {@code GREYLITE_JUNK_COMMAND_LIMIT}: the junk commands a session may send before it gets {@code 421};
     * 0 for no limit; unset or blank, {@link RelaySettings#DEFAULT_JUNK_COMMAND_LIMIT}.
     *
     * @throws IllegalArgumentException naming the variable, when its value is not a whole number of 0 or more
     */
    public static int junkCommandLimit(Map<String, String> env) {
        String v = env.get("GREYLITE_JUNK_COMMAND_LIMIT");
        if (v == null || v.isBlank()) {
            return RelaySettings.DEFAULT_JUNK_COMMAND_LIMIT;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("GREYLITE_JUNK_COMMAND_LIMIT: '" + v + "' is not a number of commands"
                + " (0 or more; 0 for no limit)");
    }
}
