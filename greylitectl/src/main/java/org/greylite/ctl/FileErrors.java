package org.greylite.ctl;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** File errors in words. */
final class FileErrors {

    private FileErrors() {
    }

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException denied && denied.getFile() != null) {
            return org.greylite.files.PermissionDenied.describe(java.nio.file.Path.of(denied.getFile()));
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
