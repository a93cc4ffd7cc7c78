package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;

import org.greylite.testing.RootOnly;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code greylitectl db init} run as root in the folder of the programs' user: the greydb is that user's, so the
 * programs, which run as that user, can write it.
 */
class GreydbMadeByRootTest {

    @TempDir
    Path dir;

    private static void asRoot() {
        RootOnly.require("only root creates a file another user may not write");
    }

    @Test
    void aGreydbRootCreatesInTheProgramsFolderIsTheirs() throws Exception {
        asRoot();
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

    /**
     * The greydb's folder missing, made by db init inside a folder of the programs' user ({@code /var/lib/greylite}
     * theirs, the greydb in {@code /var/lib/greylite/db/}): the folders made are that user's too, as the greydb is.
     * Before, they were root's, and the programs could not make the greydb's -wal beside it.
     */
    @Test
    void foldersRootMakesForTheGreydbInsideTheProgramsFolderAreTheirs() throws Exception {
        asRoot();
        UnprivilegedJava.reachable(dir);
        Path programs = Files.createDirectory(dir.resolve("greylite"));
        UserPrincipal programsUser = programs.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(UnprivilegedJava.USER);
        Files.setOwner(programs, programsUser);
        Path db = programs.resolve("state").resolve("db").resolve("greylite.db");

        Ctl.Run init = Ctl.run(Map.of(), "db", "init", "--db", db.toString());
        assertEquals(0, init.exit(), init.toString());

        PosixFileAttributes owner = Files.readAttributes(programs, PosixFileAttributes.class);
        for (Path made : new Path[] {db.getParent().getParent(), db.getParent(), db}) {
            PosixFileAttributes a = Files.readAttributes(made, PosixFileAttributes.class);
            assertEquals(owner.owner(), a.owner(), made.toString());
            assertEquals(owner.group(), a.group(), made.toString());
        }
        assertEquals("", init.err(), "nothing to warn about");
        UnprivilegedJava.Result edit = UnprivilegedJava.run(GreyliteCtl.class, "db", "whitelist", "add", "192.0.2.9",
                "--db", db.toString());
        assertEquals(0, edit.exitStatus(), edit.output());
    }

    /**
     * The greydb's folder missing in a folder of root's ({@code /var/db/greylite}, {@code /var/db} root's): nothing
     * says which user the programs run as, so the folder and the greydb stay root's, and db init says so, with the
     * chown that lets the programs write them. Before, it said nothing, and every mail passed ungreylisted.
     */
    @Test
    void aGreydbRootMakesInAFolderOfRootsIsSaidToBeRootsWithTheChown() throws Exception {
        asRoot();
        Path folder = dir.resolve("greylite");
        Path db = folder.resolve("greylite.db");

        Ctl.Run init = Ctl.run(Map.of(), "db", "init", "--db", db.toString());

        assertEquals(0, init.exit(), init.toString());
        assertTrue(init.err().startsWith("greylitectl: warning: ") && init.err().contains(folder + " (made now)")
                && init.err().contains("chown -R USER " + folder) && init.err().lines().count() == 1, init.toString());
    }
}
