package org.greylite.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs a main class of this JVM's class path as the unprivileged user {@value #USER}, for the tests of what file
 * permissions deny: root is denied nothing, so when the tests run as root (as CI runs them) a check of "permission
 * denied" must be made by another user, or it could never fail.
 *
 * <p>The class path is copied once per JVM into a folder that user can read (Maven's repository under root's home
 * is not), and removed when the JVM ends. The files a test prepares must be reachable by that user too: a JUnit
 * temporary folder is made {@code rwx------}, so such a test opens it up first ({@link #reachable}).
 */
public final class UnprivilegedJava {

    /** The user the checks run as when this JVM is root. */
    public static final String USER = "nobody";

    /** The copied class path, once made. */
    private static String copiedClassPath;

    private UnprivilegedJava() {
    }

    /** What the program printed (stdout and stderr together) and its exit status. */
    public record Result(int exitStatus, String output) {
    }

    /** Whether this JVM runs as root, where permission checks must go through {@link #run}. */
    public static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Lets {@value #USER} into {@code dir} (adds {@code r-x} for group and others); its contents keep their own permissions. */
    public static Path reachable(Path dir) throws IOException {
        Set<PosixFilePermission> mode = EnumSet.copyOf(Files.getPosixFilePermissions(dir));
        mode.addAll(PosixFilePermissions.fromString("---r-xr-x"));
        Files.setPosixFilePermissions(dir, mode);
        return dir;
    }

    /**
     * Runs {@code mainClass} with {@code args} as {@value #USER} through {@code runuser}, waiting up to a minute.
     * Without {@code runuser} or that user the test fails under CI and is skipped elsewhere.
     */
    public static Result run(Class<?> mainClass, String... args) throws IOException, InterruptedException {
        Path runuser = ExternalPrograms.require("runuser");
        if (!userExists()) {
            String why = "no user '" + USER + "' to run the permission check as";
            if (ExternalPrograms.underCi()) {
                Assertions.fail(why + "; CI=true, so this is a failure, not a skip");
            }
            Assumptions.abort(why);
        }
        List<String> command = new ArrayList<>(List.of(runuser.toString(), "-u", USER, "--"));
        command.addAll(ProgramJvm.java());
        command.addAll(List.of("-cp", classPath(), mainClass.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("unprivileged-", ".out");
        try {
            Process p = new ProcessBuilder(command).directory(new File("/")).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                // runuser's child, the JVM, runs as another user: it is killed too, not left behind.
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                Assertions.fail(mainClass.getName() + " as " + USER + " did not end within 60 s:\n" + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static boolean userExists() throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
            return lines.anyMatch(l -> l.startsWith(USER + ":"));
        }
    }

    /** This JVM's class path, copied where {@value #USER} can read it (once; removed when the JVM ends). */
    private static synchronized String classPath() throws IOException {
        if (copiedClassPath == null) {
            Path copy = Files.createTempDirectory("greylite-classpath-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(copy)));
            reachable(copy);
            List<String> entries = new ArrayList<>();
            int n = 0;
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path from = Path.of(entry);
                if (!Files.exists(from)) {
                    continue;
                }
                Path to = copy.resolve(n++ + "-" + from.getFileName());
                copyReadable(from, to);
                entries.add(to.toString());
            }
            copiedClassPath = String.join(File.pathSeparator, entries);
        }
        return copiedClassPath;
    }

    private static void copyReadable(Path from, Path to) throws IOException {
        if (Files.isDirectory(from)) {
            try (Stream<Path> tree = Files.walk(from)) {
                for (Path p : (Iterable<Path>) tree::iterator) {
                    Path target = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                    } else {
                        Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                    }
                }
            }
        } else {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static void delete(Path tree) {
        try (Stream<Path> paths = Files.walk(tree)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary folder left behind
        }
    }
}
