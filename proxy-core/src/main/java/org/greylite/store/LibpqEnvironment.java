package org.greylite.store;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * libpq's environment variables ({@code PGHOST}, {@code PGPORT}, {@code PGUSER}, {@code PGDATABASE},
 * {@code PGCONNECT_TIMEOUT}, {@code PGSSLMODE}...), which fill what a greydb URL leaves out, as psql takes them: an
 * administrator who sets them for psql in a run script or a profile gets the same server, role, database and limits
 * in every program. The JDBC driver reads none of them (only {@code PGPASSFILE}, which {@link PgPassword} reads
 * first), so before, {@code PGCONNECT_TIMEOUT=2} left a server that drops packets waited on for the programs' own
 * limits, and {@code PGHOST=db.example.net} with {@code postgresql:///greylite} was refused as a unix socket.
 *
 * <p>Each variable stands for one of libpq's URL parameters and is taken as if the URL gave it, through the same
 * translations; the URL wins where it says something, under libpq's name or the driver's ({@code connectTimeout},
 * {@code ApplicationName}...). {@code PGPASSWORD} and {@code PGPASSFILE} are {@link PgPassword}'s.
 */
final class LibpqEnvironment {

    /** A variable and the parameters that, given in the URL, say what it would. */
    private record Variable(String name, String parameter, List<String> sameInUrl) {
    }

    /** In libpq's order; {@code hostaddr} is there to be refused as in a URL, rather than silently not taken. */
    private static final List<Variable> VARIABLES = List.of(
            new Variable("PGHOST", "host", List.of("host")),
            new Variable("PGHOSTADDR", "hostaddr", List.of("hostaddr")),
            new Variable("PGPORT", "port", List.of("port")),
            new Variable("PGDATABASE", "dbname", List.of("dbname")),
            new Variable("PGUSER", "user", List.of("user")),
            new Variable("PGOPTIONS", "options", List.of("options")),
            new Variable("PGAPPNAME", "application_name", List.of("application_name", "ApplicationName")),
            new Variable("PGSSLMODE", "sslmode", List.of("sslmode", "ssl")),
            new Variable("PGSSLCERT", "sslcert", List.of("sslcert")),
            new Variable("PGSSLKEY", "sslkey", List.of("sslkey")),
            new Variable("PGSSLROOTCERT", "sslrootcert", List.of("sslrootcert")),
            new Variable("PGSSLNEGOTIATION", "sslnegotiation", List.of("sslnegotiation", "sslNegotiation")),
            new Variable("PGCHANNELBINDING", "channel_binding", List.of("channel_binding", "channelBinding")),
            new Variable("PGGSSENCMODE", "gssencmode", List.of("gssencmode", "gssEncMode")),
            new Variable("PGCONNECT_TIMEOUT", "connect_timeout", List.of("connect_timeout", "connectTimeout")),
            new Variable("PGTARGETSESSIONATTRS", "target_session_attrs",
                    List.of("target_session_attrs", "targetServerType")));

    private LibpqEnvironment() {
    }

    /** The variables read, in libpq's order (each is on the reference page, {@code org.greylite.settings.Variables}). */
    static List<String> names() {
        return VARIABLES.stream().map(Variable::name).toList();
    }

    /**
     * What the URL says it gives: its parts, as the parameters libpq would read them as.
     *
     * @param hosts    the URL names a server in its authority
     * @param port     its authority gives a port
     * @param user     its authority gives a user
     * @param database its path names a database
     */
    record UrlParts(boolean hosts, boolean port, boolean user, boolean database) {

        boolean says(String parameter) {
            return switch (parameter) {
                case "host", "hostaddr" -> hosts;
                case "port" -> port;
                case "user" -> user;
                case "dbname" -> database;
                default -> false;
            };
        }
    }

    /**
     * Adds to {@code params} (the URL's query) the parameters the environment gives and the URL does not.
     *
     * @return the variables taken, {@code NAME=VALUE} in order, for error messages about their values
     */
    static Map<String, String> fill(Map<String, String> params, UrlParts url, Map<String, String> env) {
        Map<String, String> taken = new LinkedHashMap<>();
        for (Variable v : VARIABLES) {
            String value = env.get(v.name());
            if (value == null || value.isEmpty() || given(v.parameter(), params, url)) {
                continue;
            }
            params.put(v.parameter(), value);
            taken.put(v.name(), value);
        }
        return taken;
    }

    /**
     * Whether the URL, or what was added to its query already ({@link LibpqServiceFile}), gives libpq's
     * {@code parameter}, under libpq's name or the driver's.
     */
    static boolean given(String parameter, Map<String, String> params, UrlParts url) {
        if (url.says(parameter) || params.containsKey(parameter)) {
            return true;
        }
        return VARIABLES.stream().filter(v -> v.parameter().equals(parameter))
                .anyMatch(v -> v.sameInUrl().stream().anyMatch(params::containsKey));
    }

    /** {@code " (with PGHOST=db, PGPORT=5433 from the environment)"}, or "" when none was taken. */
    static String said(Map<String, String> taken) {
        if (taken.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder(" (with ");
        taken.forEach((k, v) -> out.append(out.length() > 7 ? ", " : "").append(k).append('=').append(v));
        return out.append(" from the environment)").toString();
    }
}
