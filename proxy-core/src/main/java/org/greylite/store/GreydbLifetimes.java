package org.greylite.store;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifetimes an engine works with, as it records them in the greydb's {@code greydb_meta} table, so that
 * greylitectl, started without them, judges expiry (and when a retry counts) as the program writing the greydb
 * does. Without the record, {@code greylitectl db purge} applied its own defaults and deleted rows a program with
 * longer lifetimes still counted on.
 *
 * <p>One greydb, one set: each program records its own when its engine starts, so where several programs with
 * different lifetimes share a greydb (a PostgreSQL greydb of several MX hosts), the last to start wins. Keeping one
 * set per program was rejected: greylitectl could not tell which of them a row belongs to.
 *
 * <p>In {@code greydb_meta} as whole seconds under {@link #MIN_DELAY}, {@link #RETRY_WINDOW} and
 * {@link #WHITELIST_LIFETIME}. Read back, a value that is absent or unreadable is null.
 */
public record GreydbLifetimes(Duration minDelay, Duration retryWindow, Duration whitelistLifetime) {

    private static final Logger LOG = LoggerFactory.getLogger(GreydbLifetimes.class);

    public static final String MIN_DELAY = "min_delay";
    public static final String RETRY_WINDOW = "retry_window";
    public static final String WHITELIST_LIFETIME = "whitelist_lifetime";

    /** Nothing recorded. */
    public static final GreydbLifetimes NONE = new GreydbLifetimes(null, null, null);

    /** The {@code greydb_meta} rows, key to value, of the values present. */
    Map<String, String> rows() {
        Map<String, String> out = new LinkedHashMap<>();
        put(out, MIN_DELAY, minDelay);
        put(out, RETRY_WINDOW, retryWindow);
        put(out, WHITELIST_LIFETIME, whitelistLifetime);
        return out;
    }

    /** Read back from {@code greydb_meta}'s rows; a value that cannot be read is warned about, naming its key. */
    static GreydbLifetimes of(Map<String, String> rows) {
        return new GreydbLifetimes(seconds(MIN_DELAY, rows.get(MIN_DELAY)), seconds(RETRY_WINDOW, rows.get(RETRY_WINDOW)),
                seconds(WHITELIST_LIFETIME, rows.get(WHITELIST_LIFETIME)));
    }

    private static void put(Map<String, String> out, String key, Duration d) {
        if (d != null) {
            out.put(key, Long.toString(d.getSeconds()));
        }
    }

    private static Duration seconds(String key, String value) {
        if (value == null) {
            return null;
        }
        try {
            long s = Long.parseLong(value.trim());
            if (s >= 0) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException e) {
            // below
        }
        // Written by hand, say: better the defaults than a refusal to purge, but not silently, or "(default)" in
        // greylitectl's report would hide that the greydb holds something else.
        LOG.warn("greydb_meta: {} is '{}', not a number of seconds 0 or more; ignored, as if not recorded", key, value);
        return null;
    }
}
