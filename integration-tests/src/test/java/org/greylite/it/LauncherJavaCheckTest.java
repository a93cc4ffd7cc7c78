package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bin/ launchers say in words what keeps them from starting: the jars not built with no Maven to build
 * them, and a java older than 17 or none (that greylite needs Java 17), instead of leaving the administrator an UnsupportedClassVersionError ("class file version 61.0") or the
 * shell's "java: not found". The too-old java here is a script that answers -version as Java 11 does (it has
 * no JDK release file beside it) and, if run further, fails as Java 11 fails on our classes.
 */
@Timeout(60)
class LauncherJavaCheckTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    /** A PATH folder holding the few tools the launchers use, and no java. */
    private Path pathWithoutJava() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        for (String tool : List.of("readlink", "basename", "ls")) {
            for (String folder : List.of("/usr/bin", "/bin")) {
                Path real = Path.of(folder, tool);
                if (Files.isExecutable(real) && !Files.exists(bin.resolve(tool))) {
                    Files.createSymbolicLink(bin.resolve(tool), real);
                }
            }
        }
        return bin;
    }

    private Launchers.Ended run(Path pathDir, String program, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Launchers.bin(program)));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().remove("GREYLITE_JAVA");
        pb.environment().put("PATH", pathDir.toString());
        return Launchers.runToEnd(pb, dir, program, 30);
    }

    @Test
    void aJavaOlderThanSeventeenIsNamedWithTheVersionItIs() throws Exception {
        Path bin = pathWithoutJava();
        Path java = bin.resolve("java");
        Files.writeString(java, """
                #!/bin/sh
                if [ "$1" = -version ]; then
                    echo 'openjdk version "11.0.2" 2019-01-15' >&2
                    exit 0
                fi
                echo 'Error: LinkageError occurred while loading main class' >&2
                echo 'java.lang.UnsupportedClassVersionError: class file version 61.0' >&2
                exit 1
                """);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));

        for (String program : List.of("greylitectl", "greylite")) {
            Launchers.Ended ended = run(bin, program, "--help");
            assertEquals(111, ended.status(), ended.out());
            assertTrue(ended.out().contains(program + ": " + java + " is Java 11.0.2; greylite needs Java 17 or later"),
                    ended.out());
        }
    }

    /**
     * A checkout whose jars are not built, on a machine without Maven: the launcher says that, instead of the
     * shell's "mvn: not found" followed by "build failed; run mvn ... to see why".
     */
    @Test
    void unbuiltJarsWithoutMavenAreSaidAsSuch() throws Exception {
        Path home = Files.createDirectories(dir.resolve("checkout/bin"));
        for (String file : List.of("launch.sh", "greylitectl")) {
            Files.copy(Launchers.HOME.resolve("bin").resolve(file), home.resolve(file));
        }
        Path bin = pathWithoutJava();
        Files.createSymbolicLink(bin.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
        ProcessBuilder pb = new ProcessBuilder(home.resolve("greylitectl").toString(), "--help");
        pb.environment().remove("GREYLITE_JAVA");
        pb.environment().put("PATH", bin.toString());
        Launchers.Ended ended = Launchers.runToEnd(pb, dir, "greylitectl", 30);
        assertEquals(111, ended.status(), ended.out());
        assertTrue(ended.out().contains("greylitectl: the jars are not built (nothing in " + dir.resolve("checkout")
                + "/dist/target/lib) and Maven (mvn) is not on PATH"), ended.out());
    }

    @Test
    void noJavaOnThePathIsSaidAsSuch() throws Exception {
        Launchers.Ended ended = run(pathWithoutJava(), "ucspi2socket", "127.0.0.1", "9");
        assertEquals(111, ended.status(), ended.out());
        assertTrue(ended.out().contains("ucspi2socket: no java on PATH; greylite needs Java 17 or later"), ended.out());
    }
}
