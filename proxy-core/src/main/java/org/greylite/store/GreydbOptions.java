package org.greylite.store;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to open a greydb, whatever it is.
 *
 * @param timeout     how long one greydb operation may wait. SQLite: the busy timeout (another process's
 *                    lock). PostgreSQL: for a connection from the pool or to the server, for a lock, and for
 *                    a statement; a socket read waits one second more. So an RCPT is never held much longer
 *                    than this by a greydb that is down, slow or cut off. An administrator's command connects
 *                    within a few seconds at most (greylitectl: see {@code GreylistStores.admin}).
 * @param connections PostgreSQL: connections in the pool (SQLite uses one)
 * @param env         the environment to read {@code PGPASSWORD}, {@code PGPASSFILE} and {@code HOME} from (and, by
 *                    {@link GreylistStores#open(String, GreydbOptions)}, libpq's other variables)
 * @param greyliteImport SQLite: how a program that greylists keys the rows of greylite 2.3's tables, imported when
 *                    its database is opened as the greydb ({@link Greylite23Import}); null: they are left
 */
public record GreydbOptions(Duration timeout, int connections, Map<String, String> env,
        GreyliteImportRules greyliteImport) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public GreydbOptions {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the greydb timeout must be positive");
        }
        if (connections < 1) {
            throw new IllegalArgumentException("a greydb needs at least one connection");
        }
        env = Map.copyOf(env);
    }

    /** Options that import nothing of greylite 2.3 (see {@link #withGreyliteImport}). */
    public GreydbOptions(Duration timeout, int connections, Map<String, String> env) {
        this(timeout, connections, env, null);
    }

    /** One connection, the given timeout, the process's environment. */
    public static GreydbOptions of(Duration timeout) {
        return new GreydbOptions(timeout, 1, System.getenv());
    }

    /** These options, importing greylite 2.3's tables by {@code rules} when its database is opened as the greydb. */
    public GreydbOptions withGreyliteImport(GreyliteImportRules rules) {
        return new GreydbOptions(timeout, connections, env, rules);
    }
}
