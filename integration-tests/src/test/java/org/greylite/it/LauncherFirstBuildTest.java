package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkout whose jars are not built yet is built by the first launch. Under tcpserver the first launches come
 * together, one bin/greylite per connection: each found the jars missing and started a Maven build of its own, all
 * of them writing the same target folders at once. Here a stand-in for Maven takes a moment, leaves the wrapper's
 * jar, and notes whether another build was running beside it.
 */
@Timeout(60)
class LauncherFirstBuildTest {

    /** Maven's stand-in: a build of a second, marked running by a folder made atomically; an overlap is noted. */
    private static final String MVN = """
            #!/bin/sh
            echo build >> "$BUILDS/started"
            mkdir "$BUILDS/running" 2>/dev/null || echo overlap >> "$BUILDS/overlaps"
            sleep 1
            mkdir -p dist/target/lib && : > dist/target/lib/greylite-wrapper-0.jar
            rmdir "$BUILDS/running" 2>/dev/null
            exit 0
            """;

    @TempDir
    Path dir;

    @Test
    void launchesStartedTogetherOnAnUnbuiltCheckoutBuildItOnce() throws Exception {
        Path home = Files.createDirectories(dir.resolve("checkout/bin"));
        for (String file : List.of("launch.sh", "greylite")) {
            Files.copy(Launchers.HOME.resolve("bin").resolve(file), home.resolve(file));
        }
        Path tools = Files.createDirectories(dir.resolve("tools"));
        Path mvn = tools.resolve("mvn");
        Files.writeString(mvn, MVN);
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path builds = Files.createDirectories(dir.resolve("builds"));

        List<Process> launches = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ProcessBuilder pb = new ProcessBuilder(home.resolve("greylite").toString(), "true")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("launch" + i + ".out").toFile());
            pb.environment().remove("GREYLITE_JAVA");
            pb.environment().put("PATH", tools + ":" + System.getenv("PATH"));
            pb.environment().put("BUILDS", builds.toString());
            launches.add(pb.start());
        }
        for (Process p : launches) {
            p.getOutputStream().close();
            assertTrue(p.waitFor(40, TimeUnit.SECONDS), "a launch waited for good");
        }

        assertEquals(List.of("build"), Files.readAllLines(builds.resolve("started")), "the checkout is built once");
        assertTrue(Files.notExists(builds.resolve("overlaps")), "no build ran beside another");
    }
}
