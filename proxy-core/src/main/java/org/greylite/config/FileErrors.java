package org.greylite.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Why a file cannot be read, in an administrator's words. The JDK's messages do not always say it:
 * {@link NoSuchFileException} and {@link AccessDeniedException} carry only the path, so a log line built from
 * {@code getMessage()} reads "cannot be read (/etc/greylite/suspicion)" and leaves the reason to guess.
 */
public final class FileErrors {

    private FileErrors() {
    }

    /** "no such file", "permission denied", "is a directory", else the system's own message. */
    public static String describe(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (file != null && Files.isDirectory(file)) {
            return "is a directory";
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
