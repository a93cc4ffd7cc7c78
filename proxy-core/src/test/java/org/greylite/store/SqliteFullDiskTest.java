package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;

import org.greylite.testing.SmallFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A greydb on a full file system, opened again (the wrapper opens it in every session): SQLite cannot make its -shm
 * file and says "disk I/O error", which reads as a failing disk. The refusal says that the file system is full.
 */
class SqliteFullDiskTest {

    @TempDir
    Path dir;

    @Test
    void openingOnAFullFileSystemSaysItIsFull() throws Exception {
        try (SmallFileSystem small = SmallFileSystem.mount(dir.resolve("small"), "300k")) {
            Path db = small.path().resolve("greylite.db");
            GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
            small.fill();
            StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("cannot be opened"), e.getMessage());
            assertTrue(e.getMessage().contains("the file system holding it, " + small.path() + " (tmpfs), has no space left"),
                    e.getMessage());

            small.makeRoom();
            GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        }
    }
}
