package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.greylite.store.GreylistStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output that cannot be written (a full disk; {@code /dev/full} here) fails the command with a message, whichever
 * command printed it: a script must not take a truncated list for the whole one.
 */
class OutputWriteErrorsTest {

    private static final File FULL = new File("/dev/full");

    @TempDir
    Path dir;

    @Test
    void everyCommandSaysItsOutputCouldNotBeWrittenAndFails() throws Exception {
        Path db = dir.resolve("greylite.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        Path rules = Files.writeString(dir.resolve("suspicion"), "3 r dsl\n");
        Map<String, String> env = Map.of("DBFILE", db.toString(), "GEOIPDB_FILE", "/nonexistent/GeoIP.dat");
        String[][] commands = {
            {"db", "list", "--format", "csv"},
            {"db", "stats", "--format", "json"},
            {"suspicion", "explain", rules.toString(), "--ip", "192.0.2.1", "--json"},
            {"suspicion", "check", rules.toString()},
            {"db", "whitelist", "add", "192.0.2.9"},
            {"--help"},
        };
        for (String[] command : commands) {
            Ctl.MainRun run = Ctl.main(env, FULL, command);
            assertEquals(2, run.run().exit(), String.join(" ", command) + ": " + run);
            assertTrue(run.run().err().contains("the standard output could not be written (No space left on device)"),
                    String.join(" ", command) + ": " + run);
        }
        Path written = dir.resolve("list.csv");
        Ctl.MainRun ok = Ctl.main(env, written.toFile(), "db", "list", "--format", "csv");
        assertEquals(0, ok.run().exit(), ok.toString());
        assertTrue(Files.readString(written).startsWith("client,sender,recipient,"), Files.readString(written));
    }
}
