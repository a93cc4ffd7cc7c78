package org.greylite.store;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * libpq's other way of naming a database, the key/value connection string psql takes as well as a URL
 * ({@code host=db.example.net port=5432 dbname=greylite user=greylite}), read as the URL of the same parameters. It
 * was taken for an SQLite file's name: {@code --db "host=db.example.net dbname=greylite"} made a file of that name in
 * the current folder, and each MX host greylisted on its own greydb, without a word.
 *
 * <p>Read as libpq reads it: {@code KEY = VALUE} pairs separated by blanks, a value in single quotes when it holds
 * blanks, {@code \'} and {@code \\} escaping a quote and a backslash. A text is taken for one when it starts with one of
 * libpq's keywords and {@code =}; a file path does not.
 */
final class LibpqConnectionString {

    /** libpq's keywords that a connection string is likely to start with. */
    private static final Set<String> KEYWORDS = Set.of("host", "hostaddr", "port", "dbname", "user", "password",
            "passfile", "connect_timeout", "options", "application_name", "sslmode", "sslrootcert", "sslcert", "sslkey",
            "target_session_attrs", "service", "channel_binding", "gssencmode", "sslnegotiation", "require_auth");

    private static final Pattern FIRST_KEY = Pattern.compile("^\\s*([A-Za-z_]+)\\s*=.*", Pattern.DOTALL);

    private LibpqConnectionString() {
    }

    /** Whether {@code text} is a connection string: it starts with a libpq keyword and {@code =}. */
    static boolean is(String text) {
        var m = FIRST_KEY.matcher(text);
        return m.matches() && KEYWORDS.contains(m.group(1).toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * The URL of the same parameters, {@code postgresql://?host=...&dbname=...}, for {@link GreydbLocation.Postgres}
     * to read as any URL (its host and port as libpq's {@code host} and {@code port} parameters).
     *
     * @throws IllegalArgumentException for a pair without {@code =}, or a quote left open
     */
    static String toUrl(String text) {
        StringBuilder url = new StringBuilder("postgresql://?");
        int i = 0;
        int n = text.length();
        while (true) {
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return url.toString();
            }
            int keyStart = i;
            while (i < n && text.charAt(i) != '=' && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            String key = text.substring(keyStart, i);
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n || text.charAt(i) != '=') {
                throw new IllegalArgumentException("connection string '" + redact(text) + "': '" + key
                        + "' is not followed by '=' (KEY=VALUE pairs, as psql takes them)");
            }
            i++;
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && text.charAt(i) == '\'') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = text.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(text.charAt(i++));
                    } else if (c == '\'') {
                        closed = true;
                        break;
                    } else {
                        value.append(c);
                    }
                }
                if (!closed) {
                    throw new IllegalArgumentException("connection string '" + redact(text) + "': the quoted value of '"
                            + key + "' is not closed");
                }
            } else {
                while (i < n && !Character.isWhitespace(text.charAt(i))) {
                    char c = text.charAt(i++);
                    value.append(c == '\\' && i < n ? text.charAt(i++) : c);
                }
            }
            if (url.charAt(url.length() - 1) != '?') {
                url.append('&');
            }
            url.append(URLEncoder.encode(key, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
        }
    }

    /** The text with a password's value blanked, for messages. */
    private static String redact(String text) {
        return text.replaceAll("(?i)(password\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'?|\\S*)", "$1***");
    }
}
