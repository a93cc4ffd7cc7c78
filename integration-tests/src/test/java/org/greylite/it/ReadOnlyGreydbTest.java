package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A greydb on a file system mounted read-only is said to be so, by the real programs: no chmod or chown
 * helps there, root included, so a message about the user's write permission sends the administrator the
 * wrong way. The file system is a real tmpfs mounted read-only in a mount namespace of the program's own
 * ({@code unshare}; as a user namespace's root when the test does not run as root), so nothing outside sees it.
 */
class ReadOnlyGreydbTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    @Test
    void greylitedSaysItsGreydbIsOnAReadOnlyFileSystem() throws Exception {
        Path mount = Files.createDirectory(dir.resolve("state"));
        Path db = mount.resolve("greylite.db");
        Launchers.Ended r = onReadOnlyMount(mount, "\"$2\" db init --db \"$1/greylite.db\" >/dev/null",
                Launchers.bin("greylited"), "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
                "--db", db.toString());
        assertEquals(111, r.status(), r.out());
        assertReadOnlyNamed(r.out(), db.toString(), mount.toString());
    }

    @Test
    void greylitectlSaysTheFolderCannotBeMadeOnAReadOnlyFileSystem() throws Exception {
        Path mount = Files.createDirectory(dir.resolve("state"));
        Path db = mount.resolve("sub/greylite.db");
        Launchers.Ended r = onReadOnlyMount(mount, ":", Launchers.bin("greylitectl"), "db", "init",
                "--db", db.toString());
        assertEquals(2, r.status(), r.out());
        assertReadOnlyNamed(r.out(), db.toString(), mount.toString());
    }

    private static void assertReadOnlyNamed(String output, String... parts) {
        for (String p : parts) {
            assertTrue(output.contains(p), "expected '" + p + "' in:\n" + output);
        }
        assertTrue(output.contains("read-only"), output);
        assertFalse(output.contains("write permission"), output);
    }

    /**
     * Runs {@code command} with a fresh tmpfs on {@code mount}: {@code prepare} (a shell command; $1 is the mount,
     * $2 greylitectl) runs while it is writable, then it is remounted read-only and the command runs.
     */
    private Launchers.Ended onReadOnlyMount(Path mount, String prepare, String... command) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ExternalPrograms.require("unshare").toString());
        if (!"root".equals(System.getProperty("user.name"))) {
            cmd.add("--map-root-user");
        }
        cmd.addAll(List.of("--mount", "sh", "-c",
                "mount -t tmpfs tmpfs \"$1\" && " + prepare + " && mount -o remount,ro \"$1\" && shift 2 && exec \"$@\"",
                "sh", mount.toString(), Launchers.bin("greylitectl")));
        cmd.addAll(List.of(command));
        return Launchers.runToEnd(new ProcessBuilder(cmd), dir, "read-only", 90);
    }
}
