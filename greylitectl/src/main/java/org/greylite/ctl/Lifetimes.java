package org.greylite.ctl;

import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.Durations;
import org.greylite.greylist.GreylistSettings;
import org.greylite.store.GreydbAdmin;
import org.greylite.store.GreydbLifetimes;

/**
 * The lifetimes greylitectl judges a greydb by (expiry, and when a pending triplet's retry counts), each from the
 * first of: its flag, its environment variable, what the program writing the greydb recorded in it
 * ({@link GreydbLifetimes}: the last engine started on it), the default. Before the greydb's record was asked,
 * {@code db purge} deleted rows with greylitectl's defaults that a program with longer lifetimes still counted on.
 * The greydb is read only when a flag or variable is missing.
 */
record Lifetimes(Value minDelay, Value retryWindow, Value whitelistLifetime) {

    /** One duration and where it came from: "--retry-window", "$GREYLITE_RETRY_WINDOW", "greydb" or "default". */
    record Value(Duration duration, String source) {
        @Override
        public String toString() {
            return Durations.format(duration) + " (" + source + ")";
        }
    }

    /** @param flags the values of --min-delay, --retry-window, --whitelist-lifetime (null when not given) */
    static Lifetimes resolve(String minDelay, String retryWindow, String whitelistLifetime, Map<String, String> env,
                             GreydbAdmin admin) {
        String[] given = {
            given(minDelay, env.get("GREYLITE_MIN_DELAY")),
            given(retryWindow, env.get("GREYLITE_RETRY_WINDOW")),
            given(whitelistLifetime, env.get("GREYLITE_WHITELIST_LIFETIME")),
        };
        GreydbLifetimes recorded = given[0] != null && given[1] != null && given[2] != null
                ? GreydbLifetimes.NONE : admin.recordedLifetimes();
        Lifetimes chosen = new Lifetimes(
                pick(minDelay, "--min-delay", env, "GREYLITE_MIN_DELAY", recorded.minDelay(), GreylistSettings.DEFAULT_MIN_DELAY),
                pick(retryWindow, "--retry-window", env, "GREYLITE_RETRY_WINDOW", recorded.retryWindow(),
                        GreylistSettings.DEFAULT_RETRY_WINDOW),
                pick(whitelistLifetime, "--whitelist-lifetime", env, "GREYLITE_WHITELIST_LIFETIME",
                        recorded.whitelistLifetime(), GreylistSettings.DEFAULT_WHITELIST_LIFETIME));
        chosen.refuseWhatTheProgramsRefuse();
        return chosen;
    }

    /**
     * Every program refuses a retry window no longer than min-delay (no retry could ever pass): judged by one, db purge
     * deleted every pending triplet ({@code --retry-window 0}, a variable set for another purpose), which the programs
     * would have kept, and each client's retry after min-delay was refused anew as a first attempt.
     */
    private void refuseWhatTheProgramsRefuse() {
        if (retryWindow.duration().compareTo(minDelay.duration()) <= 0) {
            throw new IllegalArgumentException("retry window " + retryWindow + " must be longer than min-delay "
                    + minDelay + ", as every program requires, or no retry could ever pass");
        }
        // And a whitelist lifetime of 0: db purge would delete every passed triplet and auto-whitelist entry.
        if (whitelistLifetime.duration().isZero() || whitelistLifetime.duration().isNegative()) {
            throw new IllegalArgumentException("whitelist lifetime " + whitelistLifetime + " must be longer than 0, as"
                    + " every program requires, or every passed triplet and auto-whitelisted client would be forgotten");
        }
    }

    private static String given(String flag, String variable) {
        return flag != null ? flag : variable == null || variable.isBlank() ? null : variable;
    }

    private static Value pick(String flag, String flagName, Map<String, String> env, String variable, Duration recorded,
                              Duration fallback) {
        if (flag != null) {
            return new Value(parse(flag, flagName), flagName);
        }
        String v = env.get(variable);
        if (v != null && !v.isBlank()) {
            return new Value(parse(v, variable), "$" + variable);
        }
        return recorded != null ? new Value(recorded, "greydb") : new Value(fallback, "default");
    }

    private static Duration parse(String text, String where) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    /** For an administrator: "retry window 48h (greydb), whitelist lifetime 60d (greydb)". */
    String expiry() {
        return "retry window " + retryWindow + ", whitelist lifetime " + whitelistLifetime;
    }
}
