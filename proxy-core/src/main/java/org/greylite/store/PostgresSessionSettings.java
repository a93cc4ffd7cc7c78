package org.greylite.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The server settings every greydb connection starts with, so that the server's own timeouts bound each wait by the
 * busy timeout: {@code lock_timeout} and {@code statement_timeout}, and {@code idle_in_transaction_session_timeout}
 * so that a host that died inside a transaction does not hold its locks until TCP notices.
 *
 * <p>They are set by SQL ({@code set_config}) once the connection is made, not in the startup packet's
 * {@code options} parameter: PgBouncer, which many sites put between their MX hosts and PostgreSQL, refuses a
 * connection that sends {@code options} ("unsupported startup parameter: options"), so no greydb behind one could
 * be reached.
 *
 * <p>The stricter value wins: one the session already has from the DBA ({@code ALTER ROLE ... SET}, {@code ALTER
 * DATABASE ... SET}, the server's configuration) that is smaller and not 0 (none) stays. A plain {@code SET} replaced
 * it, and a DBA who gave the greydb's role a second to finish any statement found it waiting the whole busy timeout.
 * The server compares, in the one statement that sets: the value is the session's as it starts, which a client cannot
 * know before asking, and one statement costs one round trip per new connection as the {@code SET}s did.
 *
 * <p>Behind PgBouncer in transaction pooling the statement runs on whichever server connection is free, and what it
 * sets stays on that one (for the next client of the same role and database), not on the client's connection: the
 * others keep the role's and database's values, which is why the README says to give the role the timeouts there.
 * Comparing with the value found keeps such a setting, when stricter, wherever the statement lands.
 *
 * <p>A setting the administrator gives in the URL's {@code options} parameter (sent to the server as given, to a
 * server that takes it) wins, larger or not: it is not set again here.
 */
final class PostgresSessionSettings {

    private PostgresSessionSettings() {
    }

    /**
     * The statement to run on a new connection; empty when the administrator's options name every setting.
     *
     * @param timeoutMillis   the busy timeout
     * @param adminOptions    the URL's {@code options} parameter ({@code -c lock_timeout=10s ...}), or null
     */
    static String sql(long timeoutMillis, String adminOptions) {
        String given = adminOptions == null ? "" : adminOptions.toLowerCase(Locale.ROOT);
        List<String> ours = new ArrayList<>();
        add(ours, given, "lock_timeout", timeoutMillis);
        add(ours, given, "statement_timeout", timeoutMillis);
        add(ours, given, "idle_in_transaction_session_timeout", Math.max(10_000, 3 * timeoutMillis));
        if (ours.isEmpty()) {
            return "";
        }
        // pg_settings gives these three in milliseconds (their unit), whatever unit the DBA wrote; a setting the
        // server does not know is left out by the join rather than failing every connection.
        return "SELECT set_config(name, ours.millis::text, false) FROM (VALUES " + String.join(", ", ours)
                + ") AS ours(name, millis) JOIN pg_settings USING (name)"
                + " WHERE setting::bigint = 0 OR setting::bigint > ours.millis";
    }

    private static void add(List<String> ours, String given, String name, long millis) {
        // "-c lock_timeout=10s", "-clock_timeout=10s" and "--lock_timeout=10s" all hold "lock_timeout=".
        if (!given.contains(name + "=")) {
            ours.add("('" + name + "', " + millis + "::bigint)");
        }
    }
}
