package org.greylite.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.greylite.testing.RootOnly;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The reasons a suspicion file cannot be read, as the loaders report them, from real files. */
class FileErrorsTest {

    @TempDir
    Path dir;

    private String whyNot(Path file) {
        IOException e = assertThrows(IOException.class,
                () -> SuspicionSetup.load(file, Map.of(), LoggerFactory.getLogger(FileErrorsTest.class)));
        return FileErrors.describe(file, e);
    }

    @Test
    void aMissingFile() {
        assertEquals("no such file", whyNot(dir.resolve("nosuch.susp")));
    }

    @Test
    void aDirectory() {
        assertEquals("is a directory", whyNot(dir));
    }

    /** Root reads any file: as root, the file is read by an unprivileged user instead ({@link UnprivilegedJava}). */
    @Test
    void aFileThisUserMayNotRead() throws Exception {
        Path file = Files.writeString(dir.resolve("secret.susp"), "1 r ^$\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("-w-------"));
        if (!UnprivilegedJava.root()) {
            assertTrue(whyNot(file).startsWith("permission denied: " + file + " is owned by "), whyNot(file));
            return;
        }
        UnprivilegedJava.reachable(dir);
        UnprivilegedJava.Result r = UnprivilegedJava.run(LoadAsThisUser.class, file.toString());
        assertEquals(0, r.exitStatus(), r.output());
        // "permission denied" alone left the administrator to find the user and what keeps it out.
        assertEquals("permission denied: " + file + " is owned by root:root with mode -w-------, and this program runs"
                + " as user '" + UnprivilegedJava.USER + "'", r.output().strip());
    }

    @Test
    void aDirectoryOnTheWayThisUserMayNotEnter() throws Exception {
        RootOnly.require("the folder is made by another user than the one who checks it");
        Path locked = Files.createDirectory(dir.resolve("locked"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path file = Files.writeString(locked.resolve("rules.susp"), "1 r ^$\n");
        UnprivilegedJava.reachable(dir);
        UnprivilegedJava.Result r = UnprivilegedJava.run(LoadAsThisUser.class, file.toString());
        assertEquals(0, r.exitStatus(), r.output());
        assertEquals("permission denied: directory " + locked + " (owned by root:root, mode rwx------) cannot be entered"
                + " by user '" + UnprivilegedJava.USER + "'", r.output().strip());
    }

    /** Loads the suspicion file named by its argument: prints why it cannot and exits 0, or exits 1 if it loaded. */
    static final class LoadAsThisUser {
        public static void main(String[] args) {
            Path file = Path.of(args[0]);
            try {
                SuspicionSetup.load(file, Map.of(), LoggerFactory.getLogger(LoadAsThisUser.class));
                System.out.println("loaded " + file);
                System.exit(1);
            } catch (IOException e) {
                System.out.println(FileErrors.describe(file, e));
            }
        }
    }
}
