package org.greylite.files;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Why a file a server reads again (a rule file that changed, a GeoIP database on SIGHUP) could not be read, in an
 * administrator's words, for {@link FollowedFile} and the GeoIP locator alike. The JDK's
 * exceptions for the commonest cases, {@link NoSuchFileException} and {@link AccessDeniedException}, carry the
 * path alone, so a line built from their message names the file twice and the reason never.
 */
public final class UnreadableFile {

    private UnreadableFile() {
    }

    /** "it does not exist", what denies the permission ({@link PermissionDenied}), "it is a directory", else the exception's own words (a {@link NamedPipe}'s say). */
    public static String reason(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return "it does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return PermissionDenied.describe(file);
        }
        if (Files.isDirectory(file)) {
            return "it is a directory";
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
