package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.greylite.testing.RootOnly;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The greydb path is checked before SQLite gets to fail obscurely; messages name path, user and mode. */
class GreydbFileTest {

    @TempDir
    Path dir;

    private static final String USER = System.getProperty("user.name");

    /**
     * Why opening {@code db} fails, as the user who is refused: this JVM's, or {@value UnprivilegedJava#USER}
     * when this JVM is root (root is denied nothing, so the permission checks would not be met), together with
     * that user's name as the message gives it.
     */
    private Refusal refusal(Path db) throws Exception {
        if (!UnprivilegedJava.root()) {
            StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
            return new Refusal(e.getMessage(), USER);
        }
        UnprivilegedJava.reachable(dir);
        UnprivilegedJava.Result r = UnprivilegedJava.run(OpenAsThisUser.class, db.toString());
        assertEquals(0, r.exitStatus(), r.output());
        return new Refusal(r.output(), UnprivilegedJava.USER);
    }

    private record Refusal(String message, String user) {
    }

    /** Opens the greydb named by its argument: prints why it cannot and exits 0, or exits 1 if it opened. */
    static final class OpenAsThisUser {
        public static void main(String[] args) {
            try (GreylistStore store = GreylistStores.sqlite(Path.of(args[0]), Duration.ofSeconds(5))) {
                System.out.println("opened " + store.describe());
                System.exit(1);
            } catch (StoreException e) {
                System.out.println(e.getMessage());
            }
        }
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
    }

    /**
     * Run as root, a greydb is not made where a link of another user points: the programs' user owns their folder,
     * and could point such a link at any file for root to create. Before, root created a file through such a link
     * in a folder only root may write.
     */
    @Test
    void rootMakesNoGreydbWhereAnotherUsersLinkPoints() throws Exception {
        RootOnly.require("the link is another user's");
        Path folder = Files.createDirectory(dir.resolve("programs"));
        Path target = Files.createDirectory(dir.resolve("roots")).resolve("made-by-root");
        Path link = Files.createSymbolicLink(folder.resolve("greylite.db"), target);
        java.nio.file.attribute.UserPrincipal nobody = folder.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(UnprivilegedJava.USER);
        Files.getFileAttributeView(link, java.nio.file.attribute.PosixFileAttributeView.class,
                java.nio.file.LinkOption.NOFOLLOW_LINKS).setOwner(nobody);
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(link, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("symbolic link of another user"), e.getMessage());
        assertFalse(Files.exists(target), "nothing made where the link points");
        // Nor opened where it points to a file that exists: a journal planted beside the link would be rolled back
        // into that file.
        Files.writeString(target, "root's own file\n");
        assertThrows(StoreException.class, () -> GreylistStores.sqlite(link, Duration.ofSeconds(5)));
        assertEquals("root's own file\n", Files.readString(target));
    }

    @Test
    void aMissingFolderIsCreated() {
        Path db = dir.resolve("var/db/greylite/greylite.db");
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            assertTrue(Files.isRegularFile(db));
            assertTrue(store.describe().endsWith(db.toString()), store.describe());
        }
    }

    @Test
    void aRelativePathIsMadeAbsoluteInMessages() {
        StoreException e = assertThrows(StoreException.class, () -> GreydbFile.prepare(Path.of(".")));
        assertContains(e.getMessage(), Path.of(".").toAbsolutePath().toString(), "is a directory");
    }

    @Test
    void aDirectoryIsNotAGreydb() {
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(dir, Duration.ofSeconds(5)));
        assertContains(e.getMessage(), dir.toString(), "is a directory", "DBFILE");
    }

    /**
     * A file where the greydb's folder should be (DBFILE=/var/db/greylite once the greydb itself, now
     * /var/db/greylite/greylite.db) is said to be a file: the folder was said not to exist, and the advice was to
     * create it and grant write permission on it, which no permission makes possible.
     */
    @Test
    void aFileInTheWayOfTheFolderIsNamed() throws Exception {
        Path blocker = Files.writeString(dir.resolve("db"), "not a folder");
        Path db = blocker.resolve("sub").resolve("greylite.db");
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
        assertContains(e.getMessage(), db.toString(), "cannot be created", blocker + " is a file, not a directory");
        assertFalse(e.getMessage().contains("does not exist") || e.getMessage().contains("write permission"),
                e.getMessage());
    }

    @Test
    void aFolderThatIsNotWritableIsExplained() throws Exception {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Path db = locked.resolve("greylite.db");
            Refusal r = refusal(db);
            assertContains(r.message(), db.toString(), "not writable", "'" + r.user() + "'", "r-xr-xr-x", "-wal");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aFolderThatCannotBeCreatedIsExplained() throws Exception {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Path db = locked.resolve("sub/greylite.db");
            Refusal r = refusal(db);
            assertContains(r.message(), db.toString(), "cannot be created", "'" + r.user() + "'", "r-xr-xr-x");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aGreydbThatIsNotWritableIsExplained() throws Exception {
        Path db = dir.resolve("greylite.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("r--r--r--"));
        // The folder open to every user, so that the file's own mode is what refuses, whoever is refused.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Refusal r = refusal(db);
        assertContains(r.message(), db.toString(), "not readable and writable", "'" + r.user() + "'", "r--r--r--",
                "chown " + r.user() + " " + db);
    }

    /**
     * A -shm (or -wal) file another user left beside the greydb makes every write fail with SQLITE_READONLY; the
     * refusal names that file, its owner and mode, and what to do, as it does for the greydb itself.
     */
    @Test
    void aShmFileThatIsNotWritableIsNamedWithItsOwnerAndMode() throws Exception {
        Path db = dir.resolve("greylite.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path shm = Files.write(Path.of(db + "-shm"), new byte[0]);
        Files.setPosixFilePermissions(shm, PosixFilePermissions.fromString(UnprivilegedJava.root() ? "rw-r--r--" : "r--r--r--"));
        Refusal r = refusal(db);
        assertContains(r.message(), shm.toString(), "not readable and writable", "'" + r.user() + "'",
                "owned by " + USER, UnprivilegedJava.root() ? "rw-r--r--" : "r--r--r--", "chown " + r.user());
    }

    /**
     * A greydb kept elsewhere and reached through a link from a folder the programs may not write
     * ({@code /etc/greylite/greylite.db} pointing into {@code /var/db/greylite/}): SQLite follows the link and keeps
     * the -wal and -shm files beside the real file, so the greydb opens. It was refused, the link's own folder
     * named as needing write permission.
     */
    @Test
    void aGreydbLinkedFromAFolderThatIsNotWritableOpens() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real")).resolve("greylite.db");
        GreylistStores.sqlite(real, Duration.ofSeconds(5)).close();
        Files.setPosixFilePermissions(real.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path linkFolder = Files.createDirectory(dir.resolve("etc"));
        Path link = Files.createSymbolicLink(linkFolder.resolve("greylite.db"), real);
        Files.setPosixFilePermissions(linkFolder, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            if (UnprivilegedJava.root()) {
                UnprivilegedJava.reachable(dir);
                UnprivilegedJava.Result r = UnprivilegedJava.run(OpenAsThisUser.class, link.toString());
                assertEquals(1, r.exitStatus(), "opened: " + r.output());
            } else {
                GreylistStores.sqlite(link, Duration.ofSeconds(5)).close();
            }
        } finally {
            Files.setPosixFilePermissions(linkFolder, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** Reached through a link, the greydb's real folder is the one that must be writable, and the one named. */
    @Test
    void aLinkedGreydbWhoseRealFolderIsNotWritableNamesThatFolder() throws Exception {
        Path realFolder = Files.createDirectory(dir.resolve("real"));
        Path real = realFolder.resolve("greylite.db");
        GreylistStores.sqlite(real, Duration.ofSeconds(5)).close();
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.setPosixFilePermissions(realFolder, PosixFilePermissions.fromString("r-xr-xr-x"));
        Path linkFolder = Files.createDirectory(dir.resolve("etc"));
        Files.setPosixFilePermissions(linkFolder, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path link = Files.createSymbolicLink(linkFolder.resolve("greylite.db"), real);
        try {
            Refusal r = refusal(link);
            assertContains(r.message(), link + " (a link to " + real + ")", "directory " + realFolder + " is not writable",
                    "'" + r.user() + "'", "r-xr-xr-x");
        } finally {
            Files.setPosixFilePermissions(realFolder, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /**
     * A link made ahead of the greydb ({@code /etc/greylite/greylite.db} pointing to a {@code /var/db/greylite} not
     * made yet): the greydb is made where the link points, its folder too, as for a path that is no link. SQLite
     * refused it with "unable to open database file", naming neither the link nor its target.
     */
    @Test
    void aLinkToAGreydbNotMadeYetMakesItWhereItPoints() throws Exception {
        Path real = dir.resolve("var/db/greylite/greylite.db");
        Path link = Files.createSymbolicLink(Files.createDirectory(dir.resolve("etc")).resolve("greylite.db"), real);
        try (GreylistStore store = GreylistStores.sqlite(link, Duration.ofSeconds(5))) {
            assertTrue(Files.isRegularFile(real), "no greydb at " + real);
            assertTrue(Files.isSymbolicLink(link), "the link was replaced");
        }
    }

    /** A link to a greydb whose folder cannot be made names the link, where it points and the folder at fault. */
    @Test
    void aLinkToAFolderThatCannotBeMadeNamesBoth() throws Exception {
        Path locked = Files.createDirectory(dir.resolve("var"));
        Path real = locked.resolve("db/greylite.db");
        Path link = Files.createSymbolicLink(dir.resolve("greylite.db"), real);
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Refusal r = refusal(link);
            assertContains(r.message(), link + " (a link to " + real + ")", "directory " + real.getParent()
                    + " does not exist and cannot be created", "r-xr-xr-x");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aFileThatIsNotADatabaseIsNamed() throws Exception {
        Path db = Files.writeString(dir.resolve("greylite.db"), "this is a text file, not a database, but long enough ".repeat(40));
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
        assertContains(e.getMessage(), db.toString(), "cannot be opened");
    }
}
