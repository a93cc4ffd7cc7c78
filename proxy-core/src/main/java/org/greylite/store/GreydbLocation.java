package org.greylite.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Where the greydb lives, as an administrator writes it in {@code --db} or {@code DBFILE}: a file path
 * (SQLite, one host) or a PostgreSQL URL (one greydb shared by several MX hosts).
 *
 * <p>Accepted URL forms: {@code postgresql://USER@HOST[:PORT]/DATABASE[?PARAM=VALUE&...]} (libpq's,
 * also spelled {@code postgres://}) and {@code jdbc:postgresql://HOST[:PORT]/DATABASE?user=USER}. The
 * port defaults to 5432, the user to the login name, the database to the user (as psql does). Other
 * parameters are handed to the PostgreSQL JDBC driver ({@code sslmode=verify-full}...). A password in
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
        Objects.requireNonNull(text, "text");
        String t = text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty greydb location");
        }
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.startsWith("jdbc:postgresql:") || lower.startsWith("postgresql:") || lower.startsWith("postgres:")) {
            return Postgres.parseUrl(t);
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

    /**
     * A PostgreSQL database.
     *
     * @param parameters further JDBC driver properties from the URL's query, in order
     */
    record Postgres(String host, int port, String database, String user, Map<String, String> parameters)
            implements GreydbLocation {

        public static final int DEFAULT_PORT = 5432;

        public Postgres {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(user, "user");
            parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("bad port " + port);
            }
        }

        @Override
        public String describe() {
            return "postgresql://" + urlText(user) + "@" + host + ":" + port + "/" + urlText(database);
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
            return "jdbc:postgresql://" + host + ":" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
        }

        static Postgres parseUrl(String text) {
            String t = text;
            if (t.regionMatches(true, 0, "jdbc:", 0, 5)) {
                t = t.substring(5);
            }
            int colon = t.indexOf(':');
            String rest = t.substring(colon + 1);
            if (!rest.startsWith("//")) {
                throw new IllegalArgumentException("greydb URL '" + redact(text)
                        + "' must name a host: postgresql://USER@HOST[:PORT]/DATABASE");
            }
            URI uri;
            try {
                uri = new URI("postgresql:" + rest);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("bad greydb URL '" + redact(text) + "': " + e.getReason());
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("greydb URL '" + redact(text) + "' must name one host: "
                        + "postgresql://USER@HOST[:PORT]/DATABASE");
            }
            if (uri.getPort() > 65535) {
                throw new IllegalArgumentException("greydb URL '" + redact(text) + "': bad port " + uri.getPort());
            }
            Map<String, String> params = query(uri.getRawQuery(), text);
            // The password's colon is the one written as such: a user name may hold a colon of its own, written
            // %3A as in any URL (libpq reads it so), and the decoded text cannot tell the two apart.
            String rawUser = uri.getRawUserInfo();
            if (rawUser != null && rawUser.contains(":")) {
                throw passwordRefused(text);
            }
            String user = uri.getUserInfo();
            String queryUser = params.remove("user");
            if (user == null || user.isEmpty()) {
                user = queryUser;
            }
            if (user == null || user.isEmpty()) {
                user = System.getProperty("user.name");
            }
            String path = uri.getPath() == null ? "" : uri.getPath();
            String database = path.startsWith("/") ? path.substring(1) : path;
            if (database.contains("/")) {
                throw new IllegalArgumentException("greydb URL '" + redact(text) + "': bad database name '" + database + "'");
            }
            String queryDb = params.remove("dbname");
            if (database.isEmpty()) {
                database = queryDb != null && !queryDb.isEmpty() ? queryDb : user;
            }
            return new Postgres(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), database, user, params);
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
