package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code greylitectl db stats | head -1}: the reader leaves before greylitectl has written everything. That is
 * the administrator's choice, not a failure to report on the terminal; the exit status still says the output
 * stopped short, for a script under {@code set -o pipefail}.
 */
@Timeout(60)
class GreylitectlBrokenPipeTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    @Test
    void aReaderThatLeavesEarlyGetsNoErrorLine() throws Exception {
        Path db = dir.resolve("greylite.db");
        Launchers.Ended init = Launchers.runToEnd(
                new ProcessBuilder(Launchers.bin("greylitectl"), "db", "init", "--db", db.toString()), dir, "init", 30);
        assertEquals(0, init.status(), init.out());

        Path err = dir.resolve("stats.err");
        Process p = new ProcessBuilder(Launchers.bin("greylitectl"), "db", "stats", "--db", db.toString())
                .redirectError(err.toFile()).start();
        p.getOutputStream().close();
        p.getInputStream().close(); // the reader is gone before the first line is written: every write is EPIPE
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "greylitectl still runs");
        String said = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals("", said, "stderr");
        assertEquals(2, p.exitValue(), "the output stopped short: " + said);
    }
}
