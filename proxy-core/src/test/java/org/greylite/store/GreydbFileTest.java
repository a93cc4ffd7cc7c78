package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The greydb path is checked before SQLite gets to fail obscurely; messages name path, user and mode. */
class GreydbFileTest {

    @TempDir
    Path dir;

    private static final String USER = System.getProperty("user.name");

    /** Permission checks do not apply to root: those tests can only run as another user. */
    private static void assumeNotRoot() {
        assumeFalse("root".equals(USER), "running as root, where file permissions are not enforced");
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
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

    @Test
    void aFileInTheWayOfTheFolderIsNamed() throws Exception {
        Path blocker = Files.writeString(dir.resolve("db"), "not a folder");
        Path db = blocker.resolve("greylite.db");
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
        assertContains(e.getMessage(), db.toString(), "cannot be created", "'" + USER + "'", blocker.toString());
    }

    @Test
    void aFolderThatIsNotWritableIsExplained() throws Exception {
        assumeNotRoot();
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Path db = locked.resolve("greylite.db");
            StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
            assertContains(e.getMessage(), db.toString(), "not writable", "'" + USER + "'", "r-xr-xr-x", "-wal");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aFolderThatCannotBeCreatedIsExplained() throws Exception {
        assumeNotRoot();
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Path db = locked.resolve("sub/greylite.db");
            StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
            assertContains(e.getMessage(), db.toString(), "cannot be created", "'" + USER + "'", "r-xr-xr-x");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aGreydbThatIsNotWritableIsExplained() throws Exception {
        assumeNotRoot();
        Path db = dir.resolve("greylite.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("r--r--r--"));
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
        assertContains(e.getMessage(), db.toString(), "not readable and writable", "'" + USER + "'", "r--r--r--");
    }

    @Test
    void aFileThatIsNotADatabaseIsNamed() throws Exception {
        Path db = Files.writeString(dir.resolve("greylite.db"), "this is a text file, not a database, but long enough ".repeat(40));
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
        assertContains(e.getMessage(), db.toString(), "cannot be opened");
    }
}
