package org.greylite.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Where the greydb lives, as an administrator writes it in {@code --db} or {@code DBFILE}: a file path
 * (SQLite, one host) or a PostgreSQL URL (one greydb shared by several MX hosts).
 *
 * <p>Accepted URL forms: {@code postgresql://USER@HOST[:PORT]/DATABASE[?PARAM=VALUE&...]} (libpq's,
 * also spelled {@code postgres://}) and {@code jdbc:postgresql://HOST[:PORT]/DATABASE?user=USER} (the driver's short
 * {@code jdbc:postgresql:DATABASE} and {@code jdbc:postgresql:/} meaning localhost, as in the driver). The
 * port defaults to 5432, the user to the login name, the database to the user (as psql does). libpq's key/value
 * connection string ({@code host=db dbname=greylite user=mx}) is read as the URL of the same parameters
 * ({@link LibpqConnectionString}). Several
 * servers may be named, {@code HOST1[:PORT1],HOST2[:PORT2]}, as both libpq and the JDBC driver take them (the
 * driver tries them in order; with {@code targetServerType=primary} it takes the one that may write, which is how a
 * program follows a failover). Other
 * parameters are handed to the PostgreSQL JDBC driver ({@code sslmode=verify-full}...); libpq's
 * {@code target_session_attrs}, which the driver does not know and would ignore, is given to it as its
 * {@code targetServerType}, its {@code connect_timeout} as the driver's {@code connectTimeout} and {@code loginTimeout}
 * ({@link LibpqConnectTimeout}), {@code application_name} and the others the driver spells otherwise in its spelling
 * ({@link LibpqRenamedParameters}), and libpq's {@code host} and {@code port} name the servers ({@link LibpqHostParameters};
 * the driver connects over TCP only, so a unix socket is refused). libpq's environment variables ({@code PGHOST},
 * {@code PGPORT}, {@code PGUSER}, {@code PGDATABASE}, {@code PGCONNECT_TIMEOUT}...) fill what the URL leaves out, when
 * the caller gives the environment ({@link LibpqEnvironment}). A password in
 * the URL is refused: command lines are visible to every local user in {@code ps}; it comes from
 * {@code PGPASSWORD} or the password file ({@code PGPASSFILE}, else {@code ~/.pgpass}).
 */
public sealed interface GreydbLocation permits GreydbLocation.Sqlite, GreydbLocation.Postgres {

    /** For logs and error messages: {@code sqlite:/var/db/greylite/greylite.db}, {@code postgresql://mx@db:5432/greylite}. */
    String describe();

    /**
     * Reads a location.
     *
     * @throws IllegalArgumentException saying what is wrong with a URL (the caller names the flag or variable)
     */
    static GreydbLocation parse(String text) {
        return parse(text, Map.of());
    }

    /**
     * Reads a location as a program run in {@code env} does: libpq's variables ({@code PGHOST}, {@code PGPORT},
     * {@code PGUSER}, {@code PGDATABASE}, {@code PGCONNECT_TIMEOUT}, {@code PGSSLMODE}...) fill what a URL leaves out,
     * as in psql ({@link LibpqEnvironment}). A file path reads none of them.
     *
     * @throws IllegalArgumentException saying what is wrong with a URL (the caller names the flag or variable), and
     *                                  which of those variables it was read with
     */
    static GreydbLocation parse(String text, Map<String, String> env) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(env, "env");
        String t = text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty greydb location");
        }
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:") || lower.startsWith("postgresql:") || lower.startsWith("postgres:")) {
            return Postgres.parseUrl(t, env);
        }
        if (LibpqConnectionString.is(t)) {
            return Postgres.parseUrl(LibpqConnectionString.toUrl(t), env);
        }
        if (lower.startsWith("jdbc:")) {
            throw new IllegalArgumentException("unsupported greydb URL '" + t
                    + "': give a file path (SQLite) or a postgresql:// URL");
        }
        if (lower.startsWith("sqlite:")) {
            t = t.substring("sqlite:".length());
        }
        return new Sqlite(Path.of(t));
    }

    /** An SQLite file. */
    record Sqlite(Path file) implements GreydbLocation {
        public Sqlite {
            Objects.requireNonNull(file, "file");
        }

        @Override
        public String describe() {
            return "sqlite:" + file.toAbsolutePath();
        }
    }

    /** One server of a PostgreSQL URL: a host name or address ({@code [::1]} for IPv6) and a port. */
    record Server(String host, int port) {

        public Server {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("bad port " + port);
            }
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /**
     * A PostgreSQL database.
     *
     * @param servers    where it is served, in the order the driver tries them: one, or a primary and its standbys
     * @param parameters further JDBC driver properties from the URL's query, in order
     */
    record Postgres(List<Server> servers, String database, String user, Map<String, String> parameters)
            implements GreydbLocation {

        public static final int DEFAULT_PORT = 5432;

        public Postgres {
            servers = List.copyOf(servers);
            if (servers.isEmpty()) {
                throw new IllegalArgumentException("no server");
            }
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(user, "user");
            parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        }

        /** A database on one server. */
        public Postgres(String host, int port, String database, String user, Map<String, String> parameters) {
            this(List.of(new Server(host, port)), database, user, parameters);
        }

        /** The first server's host: the only one, unless the URL names several. */
        public String host() {
            return servers.get(0).host();
        }

        /** The first server's port. */
        public int port() {
            return servers.get(0).port();
        }

        @Override
        public String describe() {
            return "postgresql://" + urlText(user) + "@" + hostList() + "/" + urlText(database);
        }

        /** {@code HOST:PORT}, or {@code HOST1:PORT1,HOST2:PORT2} for several servers, as both URL forms write them. */
        private String hostList() {
            return servers.stream().map(Server::toString).collect(Collectors.joining(","));
        }

        /**
         * A user or database name as it is written in a URL: the characters that would read as the URL's own
         * separators percent-encoded, so that a user {@code we:ird} is not shown as the user {@code we} with a
         * password, and the text can be given back to {@code --db}. Other names are shown as they are.
         */
        private static String urlText(String name) {
            StringBuilder out = new StringBuilder(name.length());
            for (char c : name.toCharArray()) {
                if ("%:@/?#[] ".indexOf(c) >= 0) {
                    out.append('%').append(String.format(Locale.ROOT, "%02X", (int) c));
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }

        /** The URL the JDBC driver gets, without user, password or parameters (they go as properties). */
        public String jdbcUrl() {
            return "jdbc:postgresql://" + hostList() + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
        }

        static Postgres parseUrl(String text, Map<String, String> env) {
            String t = text;
            boolean jdbc = t.regionMatches(true, 0, "jdbc:", 0, 5);
            if (jdbc) {
                t = t.substring(5);
            }
            int colon = t.indexOf(':');
            String rest = t.substring(colon + 1);
            if (jdbc && !rest.startsWith("//")) {
                // The driver's own short forms, jdbc:postgresql:DATABASE and jdbc:postgresql:/, name no host and mean
                // localhost, as the driver's documentation has it (libpq has no such form).
                rest = "//localhost" + (rest.startsWith("/") ? "" : "/") + rest;
            }
            if (!rest.startsWith("//")) {
                throw new IllegalArgumentException("greydb URL '" + redact(text)
                        + "' must name a host: postgresql://USER@HOST[:PORT]/DATABASE");
            }
            List<Server> servers = new ArrayList<>();
            boolean portGiven = false; // in the authority: then PGPORT is not read, as in libpq
            int end = authorityEnd(rest);
            int at = rest.lastIndexOf('@', end - 1);
            String hosts = rest.substring(Math.max(2, at + 1), end);
            boolean hostless = hosts.isEmpty(); // libpq's URL of the default unix socket; ?host= may name one
            if (hosts.contains(",") || hostless) {
                // java.net.URI takes one host; the list is read here, and the rest of the URL with one in its place.
                for (String one : hostless ? new String[0] : hosts.split(",", -1)) {
                    servers.add(server(one, text));
                    portGiven |= hasPort(one);
                }
                rest = rest.substring(0, Math.max(2, at + 1)) + "localhost" + rest.substring(end);
            }
            URI uri;
            try {
                uri = new URI("postgresql:" + rest);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("bad greydb URL '" + redact(text) + "': " + e.getReason());
            }
            if (uri.getPort() > 65535) {
                throw new IllegalArgumentException("greydb URL '" + redact(text) + "': bad port " + uri.getPort());
            }
            if (servers.isEmpty() && uri.getHost() != null && !hostless) {
                servers.add(new Server(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort()));
                portGiven = uri.getPort() >= 0;
            }
            // The password's colon is the one written as such: a user name may hold a colon of its own, written
            // %3A as in any URL (libpq reads it so), and the decoded text cannot tell the two apart.
            String rawUser = uri.getRawUserInfo();
            if (rawUser != null && rawUser.contains(":")) {
                throw passwordRefused(text);
            }
            Map<String, String> params = query(uri.getRawQuery(), text);
            String path = uri.getPath() == null ? "" : uri.getPath();
            String database = path.startsWith("/") ? path.substring(1) : path;
            LibpqEnvironment.UrlParts parts = new LibpqEnvironment.UrlParts(!servers.isEmpty(), portGiven,
                    rawUser != null && !rawUser.isEmpty(), !database.isEmpty());
            LibpqServiceFile.Found service = LibpqServiceFile.fill(params, parts, env); // before the variables, as libpq
            Map<String, String> fromEnvironment = LibpqEnvironment.fill(params, parts, env);
            String origin = LibpqEnvironment.said(fromEnvironment) + (service == null ? "" : service.said());
            try {
                TargetSessionAttrs.translate(params, redact(text));
                servers = LibpqHostParameters.servers(servers, params, redact(text));
                LibpqConnectTimeout.translate(params, servers.size(), redact(text));
                LibpqRenamedParameters.translate(params, redact(text));
                DriverParameterValues.check(params, redact(text));
            } catch (IllegalArgumentException e) {
                throw origin.isEmpty() ? e : new IllegalArgumentException(e.getMessage() + origin, e);
            }
            String user = uri.getUserInfo();
            String queryUser = params.remove("user");
            if (user == null || user.isEmpty()) {
                user = queryUser;
            }
            if (user == null || user.isEmpty()) {
                user = System.getProperty("user.name");
            }
            if (database.contains("/")) {
                throw new IllegalArgumentException("greydb URL '" + redact(text) + "': bad database name '" + database + "'");
            }
            String queryDb = params.remove("dbname");
            if (database.isEmpty()) {
                database = queryDb != null && !queryDb.isEmpty() ? queryDb : user;
            }
            return new Postgres(servers, database, user, params);
        }

        /** Where the authority of {@code rest} ({@code //USER@HOSTS...}) ends: at the path, the query or the end. */
        private static int authorityEnd(String rest) {
            int end = rest.length();
            for (char c : new char[] {'/', '?', '#'}) {
                int i = rest.indexOf(c, 2);
                if (i >= 0 && i < end) {
                    end = i;
                }
            }
            return end;
        }

        /** Whether one {@code HOST[:PORT]} of a list gives its port ({@code [::1]} is a host alone). */
        private static boolean hasPort(String one) {
            int close = one.lastIndexOf(']');
            return one.indexOf(':', close + 1) >= 0;
        }

        /** One {@code HOST[:PORT]} of a list. */
        private static Server server(String one, String text) {
            URI uri;
            try {
                uri = one.isEmpty() ? null : new URI("postgresql://" + one);
            } catch (URISyntaxException e) {
                uri = null;
            }
            if (uri == null || uri.getHost() == null || uri.getRawUserInfo() != null || !uri.getRawPath().isEmpty()
                    || uri.getPort() > 65535) {
                throw new IllegalArgumentException("greydb URL '" + redact(text) + "': bad server '" + one
                        + "' in the list (HOST1[:PORT1],HOST2[:PORT2]...)");
            }
            return new Server(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort());
        }

        private static Map<String, String> query(String raw, String text) {
            Map<String, String> out = new LinkedHashMap<>();
            if (raw == null || raw.isEmpty()) {
                return out;
            }
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (k.equalsIgnoreCase("password")) {
                    throw passwordRefused(text);
                }
                out.put(k, v);
            }
            return out;
        }

        private static IllegalArgumentException passwordRefused(String text) {
            return new IllegalArgumentException("greydb URL '" + redact(text) + "' holds a password; command lines "
                    + "are visible to every local user, so give it in PGPASSWORD or in ~/.pgpass (or the file "
                    + "named by PGPASSFILE) instead");
        }

        /** The URL with whatever follows "user:" or "password=" blanked, for error messages. */
        private static String redact(String text) {
            return text.replaceAll("(?i)(//[^/@:?]*:)[^@/?]*@", "$1***@").replaceAll("(?i)(password=)[^&]*", "$1***");
        }
    }
}
