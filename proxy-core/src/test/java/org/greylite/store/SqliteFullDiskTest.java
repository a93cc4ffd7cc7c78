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

    /** A decision that finds no room says where, as the open does; SQLite says only "database or disk is full". */
    @Test
    void aWriteOnAFullFileSystemSaysWhichIsFull() throws Exception {
        try (SmallFileSystem small = SmallFileSystem.mount(dir.resolve("writes"), "300k")) {
            Path db = small.path().resolve("greylite.db");
            try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
                small.fill();
                StoreException e = assertThrows(StoreException.class, () -> {
                    for (int i = 0; i < 10_000; i++) {
                        store.update(new TripletKey("192.0.2.0/24", "a@x", "r" + i + "@y".repeat(50)),
                                t -> new TripletUpdate<>(new Triplet(1, T0, T0, null), null, "ok"));
                    }
                });
                assertTrue(e.getMessage().contains("the file system holding it, " + small.path() + " (tmpfs), has no space"
                        + " left"), e.getMessage());
            }
        }
    }

    private static final java.time.Instant T0 = java.time.Instant.parse("2024-05-01T12:00:00Z");

    /**
     * Out of inodes (maildirs and queues use them up): SQLite cannot make its -wal and says only "unable to open the
     * database file", on a file that is there and writable; the refusal says what is missing.
     */
    @Test
    void openingWhereNoFileCanBeMadeSaysTheInodesAreUsedUp() throws Exception {
        try (SmallFileSystem small = SmallFileSystem.mount(dir.resolve("few"), "5m", 8)) {
            Path db = small.path().resolve("greylite.db");
            GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
            java.util.List<Path> made = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 100; i++) {
                    made.add(java.nio.file.Files.createFile(small.path().resolve("f" + i)));
                }
            } catch (java.io.IOException noInodeLeft) {
                // every inode in use
            }
            StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("has no free inodes") && e.getMessage().contains("df -i"), e.getMessage());
            java.nio.file.Files.delete(made.get(made.size() - 1));
            java.nio.file.Files.delete(made.get(made.size() - 2));
            GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        }
    }
}
