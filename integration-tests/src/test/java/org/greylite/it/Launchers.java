package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Where the bin/ launchers and the built jars are, and the test programs the chains run. */
final class Launchers {

    static final Path HOME = Path.of(System.getProperty("greylite.home", "..")).toAbsolutePath().normalize();

    private Launchers() {
    }

    static String bin(String program) {
        return HOME.resolve("bin").resolve(program).toString();
    }

    /**
     * The launchers run dist/target/lib. Maven builds it in the package phase, before this module:
     * run {@code mvn verify} (or package), not {@code mvn test}, which stops before it.
     */
    static void requireBuilt() {
        Path lib = HOME.resolve("dist/target/lib");
        try (Stream<Path> jars = Files.exists(lib) ? Files.list(lib) : Stream.empty()) {
            if (jars.noneMatch(p -> p.getFileName().toString().startsWith("greylite-wrapper-"))) {
                fail(lib + " holds no greylite-wrapper jar: run mvn verify (the package phase builds it), not mvn test");
            }
        } catch (IOException e) {
            fail(e);
        }
    }

    /** How a program run by {@link #runToEnd} ended: its exit status and what it wrote, stderr included. */
    record Ended(int status, String out) {
    }

    /**
     * Runs {@code pb} with its input closed and waits at most {@code seconds} for it to end; fails (the program
     * killed) if it has not. The output goes into a file in {@code dir}, not a pipe read to its end: a read of a
     * pipe waits for the program's end whatever the test's timeout, so a program that starts serving, or waits
     * on a lock, when it should have ended would hang the test instead of failing it.
     */
    static Ended runToEnd(ProcessBuilder pb, Path dir, String program, long seconds)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile(dir, program, ".out");
        Process p = pb.redirectErrorStream(true).redirectOutput(output.toFile()).start();
        p.getOutputStream().close();
        boolean ended = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
        assertTrue(ended, program + " still runs after " + seconds + " s: " + out);
        return new Ended(p.exitValue(), out);
    }

    /** The shell SMTP server that stands in for qmail-smtpd, copied into {@code dir}; returns the command. */
    static String fakeSmtpd(Path dir) throws IOException {
        Path script = dir.resolve("fake-smtpd.sh");
        try (InputStream in = Launchers.class.getResourceAsStream("fake-smtpd.sh")) {
            Files.copy(in, script);
        }
        return script.toString();
    }
}
