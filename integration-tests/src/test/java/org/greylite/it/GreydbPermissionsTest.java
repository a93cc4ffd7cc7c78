package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A greydb the program may not write is explained with its path, the user and the permission that stands in
 * the way, by the real programs. proxy-core's GreydbFileTest proves the same messages in-process, but permissions
 * bind no one running as root, as the tests do under CI; so here the programs run as {@code nobody} through
 * {@code setpriv} when the test runs as root (and as the test's own user otherwise), and nothing is skipped.
 */
class GreydbPermissionsTest {

    @TempDir
    Path dir;

    private String user;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    @BeforeEach
    void reachable() throws IOException {
        boolean root = "root".equals(System.getProperty("user.name"));
        user = root ? "nobody" : System.getProperty("user.name");
        // nobody must pass through the temporary folder to reach the files under test.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void greylitectlNamesAFolderItCannotWriteIn() throws Exception {
        Path locked = lockedFolder();
        Path db = locked.resolve("greylite.db");
        Result r = run(Launchers.bin("greylitectl"), "db", "init", "--db", db.toString());
        assertEquals(2, r.status, r.output);
        assertMentions(r.output, db.toString(), "not writable", "'" + user + "'", "r-xr-xr-x", "-wal");
    }

    @Test
    void greylitectlNamesAFolderItCannotCreate() throws Exception {
        Path db = lockedFolder().resolve("sub/greylite.db");
        Result r = run(Launchers.bin("greylitectl"), "db", "init", "--db", db.toString());
        assertEquals(2, r.status, r.output);
        assertMentions(r.output, db.toString(), "cannot be created", "'" + user + "'", "r-xr-xr-x");
    }

    @Test
    void greylitedRefusesToStartOnAGreydbItCannotWrite() throws Exception {
        Path state = Files.createDirectory(dir.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path db = state.resolve("greylite.db");
        Result made = run(Launchers.bin("greylitectl"), "db", "init", "--db", db.toString());
        assertEquals(0, made.status, made.output);
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("r--r--r--"));
        Result r = run(Launchers.bin("greylited"), "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
                "--db", db.toString());
        assertTrue(r.status != 0, r.output);
        assertMentions(r.output, db.toString(), "not readable and writable", "'" + user + "'", "r--r--r--");
    }

    private Path lockedFolder() throws IOException {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        return locked;
    }

    private static void assertMentions(String output, String... parts) {
        for (String p : parts) {
            assertTrue(output.contains(p), "expected '" + p + "' in:\n" + output);
        }
    }

    private record Result(int status, String output) {
    }

    /** Runs the program as {@code nobody} when the test runs as root; its status and all it wrote. */
    private Result run(String... command) throws Exception {
        List<String> cmd = new ArrayList<>();
        if ("nobody".equals(user)) {
            cmd.addAll(List.of(ExternalPrograms.require("setpriv").toString(), "--reuid=nobody", "--regid=nogroup",
                    "--clear-groups"));
        }
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end within 90 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
