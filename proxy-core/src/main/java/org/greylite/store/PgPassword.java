package org.greylite.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The password for a PostgreSQL greydb, found where libpq (psql) finds it, so one setup serves both:
 * {@code PGPASSWORD}, else the password file named by the URL's {@code passfile} parameter, else by
 * {@code PGPASSFILE}, else {@code ~/.pgpass}.
 *
 * <p>The file has lines {@code hostname:port:database:username:password}; {@code *} matches anything,
 * {@code \:} and {@code \\} escape; the first matching line wins. Like libpq, a file that group or others
 * may read is ignored, with a warning.
 */
final class PgPassword {

    private static final Logger LOG = LoggerFactory.getLogger(PgPassword.class);

    /** libpq's URL parameter naming the password file. */
    static final String PARAMETER = "passfile";

    private PgPassword() {
    }

    /** The password, or null to connect without one (trust or certificate authentication). */
    static String lookup(GreydbLocation.Postgres db, Map<String, String> env) {
        String pw = env.get("PGPASSWORD");
        if (pw != null && !pw.isEmpty()) {
            return pw;
        }
        Path file = passFile(db, env);
        if (file == null || !Files.isRegularFile(file)) {
            return null;
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)
                    || perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                LOG.warn("password file {} has group or world access and is ignored; chmod 0600 it", file);
                return null;
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: read it as libpq does on such systems
        }
        try {
            return match(Files.readAllLines(file, StandardCharsets.UTF_8), db);
        } catch (IOException e) {
            LOG.warn("password file {} cannot be read: {}", file, e.getMessage());
            return null;
        }
    }

    /**
     * The URL's {@value #PARAMETER}, else {@code PGPASSFILE}, else {@code ~/.pgpass}: libpq's order. The parameter is
     * libpq's, not the JDBC driver's, which ignored it.
     */
    private static Path passFile(GreydbLocation.Postgres db, Map<String, String> env) {
        String inUrl = db.parameters().get(PARAMETER);
        if (inUrl != null && !inUrl.isEmpty()) {
            return Path.of(inUrl);
        }
        String named = env.get("PGPASSFILE");
        if (named != null && !named.isEmpty()) {
            return Path.of(named);
        }
        String home = env.get("HOME");
        if (home == null || home.isEmpty()) {
            home = System.getProperty("user.home");
        }
        return home == null ? null : Path.of(home, ".pgpass");
    }

    /**
     * The password of the first line matching {@code db}, or null. For a URL that names several servers, the first
     * server's line, else the next's: the driver gives all of them one password (libpq looks one up for each), as
     * a primary and its standbys share their roles.
     */
    static String match(List<String> lines, GreydbLocation.Postgres db) {
        for (GreydbLocation.Server server : db.servers()) {
            String pw = match(lines, server, db);
            if (pw != null) {
                return pw;
            }
        }
        return null;
    }

    private static String match(List<String> lines, GreydbLocation.Server server, GreydbLocation.Postgres db) {
        String[] want = {fileHost(server.host()), Integer.toString(server.port()), db.database(), db.user()};
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            List<String> f = fields(line);
            if (f.size() < 5) {
                continue;
            }
            boolean ok = true;
            for (int i = 0; i < 4 && ok; i++) {
                ok = f.get(i).equals("*") || f.get(i).equals(want[i]);
            }
            if (ok) {
                return f.get(4);
            }
        }
        return null;
    }

    /**
     * A server's host as the password file writes it: an IPv6 address without the brackets the URL needs around it
     * ({@code [::1]} is {@code \:\:1} there, its colons escaped), which libpq compares the file's lines with.
     */
    private static String fileHost(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** Splits on unescaped ':' (the password field keeps any further colons). */
    private static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                cur.append(line.charAt(++i));
            } else if (c == ':' && out.size() < 4) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
