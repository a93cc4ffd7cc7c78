package org.greylite.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The server settings every greydb connection starts with, so that the server's own timeouts bound each wait by the
 * busy timeout: {@code lock_timeout} and {@code statement_timeout}, and {@code idle_in_transaction_session_timeout}
 * so that a host that died inside a transaction does not hold its locks until TCP notices.
 *
 * <p>They are set by SQL ({@code SET}) once the connection is made, not in the startup packet's {@code options}
 * parameter: PgBouncer, which many sites put between their MX hosts and PostgreSQL, refuses a connection that sends
 * {@code options} ("unsupported startup parameter: options"), so no greydb behind one could be reached.
 *
 * <p>A setting the administrator gives in the URL's {@code options} parameter (sent to the server as given, to a
 * server that takes it) wins: it is not set again here.
 */
final class PostgresSessionSettings {

    private PostgresSessionSettings() {
    }

    /**
     * The statements to run on a new connection, separated by semicolons; empty when the administrator's options
     * name every setting.
     *
     * @param timeoutMillis   the busy timeout
     * @param adminOptions    the URL's {@code options} parameter ({@code -c lock_timeout=10s ...}), or null
     */
    static String sql(long timeoutMillis, String adminOptions) {
        String given = adminOptions == null ? "" : adminOptions.toLowerCase(Locale.ROOT);
        List<String> sets = new ArrayList<>();
        set(sets, given, "lock_timeout", timeoutMillis);
        set(sets, given, "statement_timeout", timeoutMillis);
        set(sets, given, "idle_in_transaction_session_timeout", Math.max(10_000, 3 * timeoutMillis));
        return String.join("; ", sets);
    }

    private static void set(List<String> sets, String given, String name, long millis) {
        // "-c lock_timeout=10s", "-clock_timeout=10s" and "--lock_timeout=10s" all hold "lock_timeout=".
        if (!given.contains(name + "=")) {
            sets.add("SET " + name + " = " + millis);
        }
    }
}
