package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code greylitectl db init} run as root in the folder of the programs' user: the greydb is that user's, so the
 * programs, which run as that user, can write it.
 */
class GreydbMadeByRootTest {

    @TempDir
    Path dir;

    @Test
    void aGreydbRootCreatesInTheProgramsFolderIsTheirs() throws Exception {
        if (!UnprivilegedJava.root()) {
            String why = "only root creates a file another user may not write";
            if (ExternalPrograms.underCi()) {
                Assertions.fail(why + "; CI=true runs the tests as root");
            }
            Assumptions.abort(why);
        }
        UnprivilegedJava.reachable(dir);
        Path folder = Files.createDirectory(dir.resolve("greylite"));
        UserPrincipal programsUser = folder.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(UnprivilegedJava.USER);
        Files.setOwner(folder, programsUser);
        Path db = folder.resolve("greylite.db");

        Ctl.Run init = Ctl.run(Map.of(), "db", "init", "--db", db.toString());
        assertEquals(0, init.exit(), init.toString());

        PosixFileAttributes file = Files.readAttributes(db, PosixFileAttributes.class);
        PosixFileAttributes owner = Files.readAttributes(folder, PosixFileAttributes.class);
        assertEquals(owner.owner(), file.owner());
        assertEquals(owner.group(), file.group());
        // What the programs do at every decision: write it, as their user.
        UnprivilegedJava.Result edit = UnprivilegedJava.run(GreyliteCtl.class, "db", "whitelist", "add", "192.0.2.9",
                "--db", db.toString());
        assertEquals(0, edit.exitStatus(), edit.output());
    }
}
