package org.greylite.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * libpq's connection service file ({@code pg_service.conf}): a URL's {@code service=NAME}, or {@code PGSERVICE}, names
 * a section of it whose {@code KEY=VALUE} lines fill what the URL leaves out, before libpq's environment variables
 * do, as psql takes them. A site that names its greydb {@code [greydb]} there for psql reaches the same server,
 * database and role from every program with {@code DBFILE='postgresql://?service=greydb'}; before, the host-less
 * URL was refused, and a URL naming a host ignored the service.
 *
 * <p>Looked for as libpq looks: the user's file ({@code PGSERVICEFILE}, else {@code ~/.pg_service.conf}) first, and
 * only if the service is not there, the system's ({@code PGSYSCONFDIR/pg_service.conf}, else Debian's
 * {@code /etc/postgresql-common/pg_service.conf}); the first section of that name wins, whole. A password in the
 * section is refused with the way out ({@code ~/.pgpass}): the programs take passwords from {@link PgPassword} only.
 */
final class LibpqServiceFile {

    /** Where Debian's libpq (postgresql-common) keeps the system's service file when PGSYSCONFDIR is not set. */
    static final Path DEBIAN_SYSTEM_FILE = Path.of("/etc/postgresql-common/pg_service.conf");

    /** The service found: its name and file, said after an error in one of its values. */
    record Found(String name, Path file) {

        String said() {
            return " (with service " + name + " of " + file + ")";
        }
    }

    private LibpqServiceFile() {
    }

    /**
     * Adds to {@code params} what the named service gives and the URL does not; nothing when no service is named.
     *
     * @return the service used, or null when none is named
     * @throws IllegalArgumentException when the service is named but defined nowhere, or a file cannot be read or has
     *                                  a line that is no {@code [NAME]} nor {@code KEY=VALUE}
     */
    static Found fill(Map<String, String> params, LibpqEnvironment.UrlParts url, Map<String, String> env) {
        String name = params.remove("service");
        if (name == null || name.isEmpty()) {
            name = env.get("PGSERVICE");
        }
        if (name == null || name.isEmpty()) {
            return null;
        }
        List<Path> files = files(env);
        for (Path file : files) {
            Map<String, String> section = section(file, name);
            if (section == null) {
                continue;
            }
            if (section.containsKey("password")) {
                throw new IllegalArgumentException("service " + name + " of " + file + " holds a password; the "
                        + "programs take it from PGPASSWORD or ~/.pgpass (or the file named by PGPASSFILE) instead");
            }
            section.forEach((k, v) -> {
                if (!k.equals("service") && !LibpqEnvironment.given(k, params, url)) {
                    params.put(k, v);
                }
            });
            return new Found(name, file);
        }
        throw new IllegalArgumentException("definition of service \"" + name + "\" not found (looked in "
                + String.join(" and ", files.stream().map(Path::toString).toList()) + ")");
    }

    /** The user's file, then the system's, as libpq looks. */
    private static List<Path> files(Map<String, String> env) {
        List<Path> out = new ArrayList<>();
        String user = env.get("PGSERVICEFILE");
        if (user != null && !user.isEmpty()) {
            out.add(Path.of(user));
        } else {
            String home = env.get("HOME");
            if (home == null || home.isEmpty()) {
                home = System.getProperty("user.home");
            }
            if (home != null) {
                out.add(Path.of(home, ".pg_service.conf"));
            }
        }
        String sysconf = env.get("PGSYSCONFDIR");
        out.add(sysconf != null && !sysconf.isEmpty() ? Path.of(sysconf, "pg_service.conf") : DEBIAN_SYSTEM_FILE);
        return out;
    }

    /** The {@code KEY=VALUE} lines of section {@code name} of {@code file}; null when the file or section is not there. */
    static Map<String, String> section(Path file, String name) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the service file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> found = null;
        boolean inside = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (found != null) {
                    return found; // the section ended: the first of that name wins, whole
                }
                inside = line.endsWith("]") && line.substring(1, line.length() - 1).strip().equals(name);
                if (inside) {
                    found = new LinkedHashMap<>();
                }
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("syntax error in service file " + file + ", line " + (i + 1)
                        + ": not [NAME] nor KEY=VALUE");
            }
            if (inside) {
                found.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        return found;
    }
}
