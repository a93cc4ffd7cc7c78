package org.greylite.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.greylite.files.PermissionDenied;

/**
 * Why a file cannot be read, in an administrator's words. The JDK's messages do not always say it:
 * {@link NoSuchFileException} and {@link AccessDeniedException} carry only the path, so a log line built from
 * {@code getMessage()} reads "cannot be read (/etc/greylite/suspicion)" and leaves the reason to guess.
 */
public final class FileErrors {

    private FileErrors() {
    }

    /**
     * "no such file", "permission denied" with what denies it ({@link PermissionDenied}), "is a directory", "a file
     * that is not a directory is in the way" (a folder to be created where a file is: its exception, too, carries
     * only the path), else the system's own message.
     */
    public static String describe(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "a file that is not a directory is in the way";
        }
        if (e instanceof AccessDeniedException) {
            return file != null ? PermissionDenied.describe(file) : "permission denied";
        }
        if (file != null && Files.isDirectory(file)) {
            return "is a directory";
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /**
     * A file a setting names cannot be read: a mistake in the configuration (nothing at that path, a directory,
     * or a file the program's user may not read), as "{@code ORIGIN: FILE cannot be read (REASON)}". An
     * {@link IllegalArgumentException}, so that the program stops as for any other bad value ({@link ExitStatus}).
     *
     * @param origin the flag or variable that named the file
     */
    public static IllegalArgumentException unreadable(String origin, Path file, IOException e) {
        return new IllegalArgumentException(origin + ": " + file + " cannot be read (" + describe(file, e) + ")", e);
    }
}
