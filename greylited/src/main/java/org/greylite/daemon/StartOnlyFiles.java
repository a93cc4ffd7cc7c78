package org.greylite.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.slf4j.Logger;

/**
 * The files greylited reads at start only: the configuration file, whose settings build the server (its address,
 * the greydb, the timeouts). SIGHUP reads the rule files (suspicion, access, known senders) and the certificate
 * again, not this one; an administrator who edited one and sent SIGHUP ({@code systemctl reload}) was told "reloading the rule
 * files" and nothing more, as if the edit were in force. At each SIGHUP, a file whose content changed since the start
 * is named with a warning that a restart applies it. The content is compared, not the modification time, so a file
 * saved unchanged (or touched) is not named.
 */
final class StartOnlyFiles {

    private record Watched(Path file, String what, byte[] digest) {
    }

    private final List<Watched> files = new ArrayList<>();

    /**
     * Remembers {@code file} as greylited read it.
     *
     * @param what what the file is, for the warning ("the configuration file")
     */
    StartOnlyFiles add(Path file, String what) {
        files.add(new Watched(file, what, digest(file)));
        return this;
    }

    /** Logs a warning for each file whose content is no longer what greylited read at start. */
    void warnOfChanges(Logger log) {
        for (Watched w : files) {
            if (!Arrays.equals(w.digest(), digest(w.file()))) {
                log.warn("{}: changed since greylited started, but {} is read at start only: restart greylited for the"
                        + " change to take effect (SIGHUP reads the suspicion, access and known-senders files and the TLS certificate)",
                        w.file(), w.what());
            }
        }
    }

    /**
     * The content's digest, or null when the file cannot be read (gone, say: a change too). Only a regular file is
     * read: one replaced by a named pipe or a device would hold the SIGHUP's thread, or never end.
     */
    private static byte[] digest(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
