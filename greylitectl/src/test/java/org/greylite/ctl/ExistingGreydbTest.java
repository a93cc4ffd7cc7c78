package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import org.greylite.store.GreylistStores;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A greydb that is there but cannot be reached: greylitectl says why, not that there is none. */
class ExistingGreydbTest {

    @TempDir
    Path dir;

    @Test
    void aGreydbInAFolderThatCannotBeSearchedIsNotReportedMissing() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("private"));
        Path db = folder.resolve("greylite.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        String output;
        if (UnprivilegedJava.root()) {
            // Root searches any folder: the check is made by another user, for whom this root-owned folder is shut.
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            UnprivilegedJava.reachable(dir);
            UnprivilegedJava.Result r = UnprivilegedJava.run(GreyliteCtl.class, "db", "stats", "--db", db.toString());
            assertNotEquals(0, r.exitStatus(), r.output());
            output = r.output();
            assertTrue(output.contains("mode rwx------"), output); // the store's open names the permission at fault
        } else {
            // The folder's owner without the right to search it (x) cannot tell whether the file is there either.
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rw-------"));
            try {
                Ctl.Run r = Ctl.run(Map.of(), "db", "stats", "--db", db.toString());
                assertNotEquals(0, r.exit(), r.toString());
                output = r.out() + r.err();
            } finally {
                Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
            }
        }
        assertFalse(output.contains("no greydb there"), output);
        assertTrue(output.contains(folder.toString()), output);
    }

    /**
     * An edit run by a user who may not write the greydb is refused before SQLite opens it: even a read-only open
     * of a WAL database creates its -wal and -shm files, owned by that user, and those stop every write of the
     * programs that own the greydb.
     */
    @Test
    void aRefusedCommandLeavesNoWalOrShmFilesBehind() throws Exception {
        Path db = dir.resolve("greylite.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("r--r--r--"));
        // The folder open to every user, as a setgid group folder is to its group: only the file's mode refuses.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        String output;
        if (UnprivilegedJava.root()) {
            UnprivilegedJava.Result r = UnprivilegedJava.run(GreyliteCtl.class, "db", "blacklist", "add", "192.0.2.9",
                    "--db", db.toString());
            assertNotEquals(0, r.exitStatus(), r.output());
            output = r.output();
        } else {
            Ctl.Run r = Ctl.run(Map.of(), "db", "blacklist", "add", "192.0.2.9", "--db", db.toString());
            assertNotEquals(0, r.exit(), r.toString());
            output = r.out() + r.err();
        }
        assertTrue(output.contains("not readable and writable") && output.contains("r--r--r--"), output);
        assertFalse(Files.exists(Path.of(db + "-wal")), "-wal left behind; " + output);
        assertFalse(Files.exists(Path.of(db + "-shm")), "-shm left behind; " + output);
    }
}
