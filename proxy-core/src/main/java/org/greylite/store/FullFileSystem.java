package org.greylite.store;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Tells an SQLite greydb that cannot be opened because its file system is full. SQLite says so for a write that
 * fails (SQLITE_FULL, "database or disk is full"), but when it cannot make or grow its {@code -shm} file at open,
 * as every session of the wrapper does, it says "disk I/O error" (SQLITE_IOERR_SHMSIZE), which reads as a failing
 * disk.
 */
final class FullFileSystem {

    /**
     * Below this much free space the file system counts as full: SQLite's {@code -shm} file takes 32 KB at once, and
     * the {@code -wal} file a few pages.
     */
    static final long ROOM_NEEDED = 64 * 1024;

    private FullFileSystem() {
    }

    /**
     * Whether no file can be made in {@code dir} for want of inodes (a mail host's maildirs and queues use them up):
     * SQLite then cannot make its {@code -wal} or {@code -shm} and says only "unable to open the database file". A
     * probe file of a name nobody can guess, made exclusively and removed at once.
     */
    private static boolean noFreeInodes(Path dir) {
        try {
            Files.delete(Files.createTempFile(dir, ".greylite-room-", ""));
            return false;
        } catch (IOException | SecurityException e) {
            return e.getMessage() != null && e.getMessage().contains("No space left on device");
        }
    }

    /**
     * For a greydb {@code file} whose file system is full, the words saying so, with where it is mounted; empty when
     * it has room or cannot be told.
     */
    static Optional<String> of(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            FileStore store = Files.getFileStore(dir);
            long free = store.getUsableSpace();
            if (free >= ROOM_NEEDED) {
                return noFreeInodes(dir) ? Optional.of("the file system holding it, " + ReadOnlyMount.mountPoint(dir, store)
                        + " (" + store.type() + "), has no free inodes: no new file can be made there, though " + free
                        + " bytes are free (df -i " + dir + "); free some there (the programs need no restart)")
                        : Optional.empty();
            }
            return Optional.of("the file system holding it, " + ReadOnlyMount.mountPoint(dir, store) + " (" + store.type()
                    + "), has no space left (" + free + " bytes free); free some there (the programs need no restart)");
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }
}
