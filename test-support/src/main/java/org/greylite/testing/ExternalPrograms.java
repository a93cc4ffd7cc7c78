package org.greylite.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real programs some tests drive (tcpserver, swaks, smtp-source, dnsmasq, postgres...).
 *
 * <p>On a developer's machine a missing program skips the test. Under CI ({@code CI=true}) every
 * program is installed by {@code .ci/run}, so a missing one is a failure, never a silent skip.
 */
public final class ExternalPrograms {

    private ExternalPrograms() {
    }

    /** The program's path, or the test is skipped (developer machine) or failed (CI). */
    public static Path require(String program) {
        Optional<Path> found = find(program);
        if (found.isPresent()) {
            return found.get();
        }
        String why = program + " is not installed (see .ci/run for the Debian package)";
        if (underCi()) {
            Assertions.fail(why + "; CI=true, so this is a failure, not a skip");
        }
        Assumptions.abort(why);
        throw new AssertionError("unreachable");
    }

    /**
     * Looks the program up on PATH, in the sbin folders Debian uses for daemons, and in Debian's PostgreSQL
     * server folders ({@code /usr/lib/postgresql/VERSION/bin}, newest first), which are not on PATH.
     */
    public static Optional<Path> find(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator
                + "/usr/sbin" + File.pathSeparator + "/sbin" + postgresqlFolders();
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static String postgresqlFolders() {
        File[] versions = new File("/usr/lib/postgresql").listFiles(File::isDirectory);
        if (versions == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        java.util.Arrays.stream(versions).map(File::getName).filter(v -> v.matches("\\d+(\\.\\d+)?"))
                .sorted(java.util.Comparator.comparingDouble(Double::parseDouble).reversed())
                .forEach(v -> out.append(File.pathSeparator).append("/usr/lib/postgresql/").append(v).append("/bin"));
        return out.toString();
    }

    public static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }
}
