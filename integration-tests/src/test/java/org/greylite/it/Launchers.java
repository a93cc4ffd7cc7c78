package org.greylite.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** The shell SMTP server that stands in for qmail-smtpd, copied into {@code dir}; returns the command. */
    static String fakeSmtpd(Path dir) throws IOException {
        Path script = dir.resolve("fake-smtpd.sh");
        try (InputStream in = Launchers.class.getResourceAsStream("fake-smtpd.sh")) {
            Files.copy(in, script);
        }
        return script.toString();
    }
}
