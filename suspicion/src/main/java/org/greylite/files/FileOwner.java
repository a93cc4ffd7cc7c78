package org.greylite.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Who owns a file and its mode, for the messages that tell an administrator why a program's user was kept out.
 *
 * @param owner the owning user's name
 * @param group the owning group's name
 * @param mode  the permissions as {@code ls} shows them, {@code rwxr-x---}
 */
public record FileOwner(String owner, String group, String mode) {

    /** The file's owner and mode, or empty where they cannot be read (no such file, a file system without them). */
    public static Optional<FileOwner> of(Path file) {
        try {
            PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class);
            return Optional.of(new FileOwner(a.owner().getName(), a.group().getName(),
                    PosixFilePermissions.toString(a.permissions())));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
