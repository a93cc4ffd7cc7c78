package org.greylite.files;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What stands between the program's user and a file it was denied: a directory on the way that the user cannot enter,
 * or the file's own owner and mode. "permission denied" alone left the administrator to find out which user the program
 * runs as (tcpserver's {@code -u}, the systemd unit's {@code User=}) and which part of the path keeps it out.
 */
public final class PermissionDenied {

    private PermissionDenied() {
    }

    /**
     * "permission denied: DIR (owned by U:G, mode M) cannot be entered by user X", or "permission denied: FILE is owned
     * by U:G with mode M, and this program runs as user X"; just "permission denied" when the file system cannot say.
     */
    public static String describe(Path file) {
        String user = System.getProperty("user.name");
        Path path = file.toAbsolutePath().normalize();
        // The first directory from the root that the user may not enter is what denies everything below it.
        Path parent = path.getParent();
        if (parent != null) {
            Path dir = parent.getRoot();
            for (Path name : parent) {
                dir = dir.resolve(name);
                if (Files.isDirectory(dir) && !Files.isExecutable(dir)) {
                    return "permission denied: directory " + dir + " (" + attributes(dir) + ") cannot be entered by user '"
                            + user + "'";
                }
            }
        }
        String attributes = attributes(path);
        return attributes.isEmpty() ? "permission denied"
                : "permission denied: " + path + " is " + attributes.replace(", mode", " with mode")
                        + ", and this program runs as user '" + user + "'";
    }

    /** "owned by U:G, mode rwxr-x---", or "" when they cannot be read. */
    private static String attributes(Path p) {
        return FileOwner.of(p).map(o -> "owned by " + o.owner() + ":" + o.group() + ", mode " + o.mode()).orElse("");
    }
}
