package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.greylite.testing.RootOnly;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A greydb path is a file's name, whatever characters it holds: the one made is the one named, and every command
 * finds it there. The SQLite driver took the text after a {@code ?} for its own settings, and a read-only open (a user
 * who may only read the greydb) read {@code %41} as {@code A} and stopped at a {@code #}.
 */
class GreydbPathCharactersTest {

    @TempDir
    Path dir;

    @Test
    void theGreydbMadeIsTheOneNamedAndEveryCommandFindsIt() throws Exception {
        for (String name : List.of("g?journal_mode=delete.db", "p%41/g#1.db", "with space/é ü.db")) {
            Path db = dir.resolve(name);

            Ctl.Run init = Ctl.run(Map.of(), "db", "init", "--db", db.toString());
            assertEquals(0, init.exit(), init.toString());
            Ctl.Run add = Ctl.run(Map.of(), "db", "blacklist", "add", "192.0.2.9", "--db", db.toString());
            assertEquals(0, add.exit(), name + ": " + add);
            Ctl.Run list = Ctl.run(Map.of(), "db", "list", "--blacklist", "--db", db.toString(), "--format", "csv");
            assertTrue(list.out().contains("\r\n192.0.2.9,"), name + ": " + list);
            assertTrue(Files.isRegularFile(db), name);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            assertEquals(List.of(), files.filter(Files::isRegularFile).map(dir::relativize).map(Path::toString)
                    .filter(f -> !f.startsWith("g?journal_mode=delete.db") && !f.startsWith("p%41/g#1.db")
                            && !f.startsWith("with space/é ü.db")).toList(), "no file under another name");
        }
    }

    @Test
    void aReaderWhoMayNotWriteReadsTheGreydbNamed() throws Exception {
        RootOnly.require("the reader is another user, one who may read the greydb and not write it");
        UnprivilegedJava.reachable(dir);
        Path db = dir.resolve("p%41").resolve("g#1.db");
        assertEquals(0, Ctl.run(Map.of(), "db", "init", "--db", db.toString()).exit());
        assertEquals(0, Ctl.run(Map.of(), "db", "blacklist", "add", "192.0.2.9", "--db", db.toString()).exit());
        // A new greydb is not for other users: its admin lets them read it.
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));

        UnprivilegedJava.Result list = UnprivilegedJava.run(GreyliteCtl.class, "db", "list", "--blacklist", "--db",
                db.toString(), "--format", "csv");

        assertEquals(0, list.exitStatus(), list.output());
        assertTrue(list.output().contains("192.0.2.9,"), list.output());
    }
}
