package org.greylite.store;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Tells a file system mounted read-only from a permission that is missing. Both make a folder unwritable, but
 * a read-only mount binds every user, root included, and no chmod or chown helps: the message must name the
 * mount, or the administrator changes permissions in vain.
 */
final class ReadOnlyMount {

    private ReadOnlyMount() {
    }

    /**
     * For an existing {@code path} on a file system mounted read-only, the words saying so (with the mount point
     * and the file system's type, as {@code mount} shows them); empty when it is mounted read-write or cannot be
     * told.
     */
    static Optional<String> of(Path path) {
        if (path == null) {
            return Optional.empty();
        }
        try {
            FileStore store = Files.getFileStore(path);
            if (!store.isReadOnly()) {
                return Optional.empty();
            }
            Path mountPoint = mountPoint(path, store);
            return Optional.of(path + " is on a file system mounted read-only (" + store.type() + " on " + mountPoint
                    + "), which no user may write, root included; remount it read-write (mount -o remount,rw "
                    + mountPoint + ") or give DBFILE / --db a path on a writable one");
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** Where the file system {@code store} that holds {@code path} is mounted: the highest folder above it on it. */
    static Path mountPoint(Path path, FileStore store) throws IOException {
        Path mountPoint = path.toAbsolutePath();
        while (mountPoint.getParent() != null && store.equals(Files.getFileStore(mountPoint.getParent()))) {
            mountPoint = mountPoint.getParent();
        }
        return mountPoint;
    }
}
