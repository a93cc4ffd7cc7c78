package org.greylite.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file the programs read whole into memory (a rule file, a known-senders file, a GeoIP database) that the heap
 * cannot hold: a device that never ends ({@code /dev/zero}), or a file larger than the heap (the wrapper runs in
 * 64 MB). The read's {@link OutOfMemoryError} is turned into this, so that the file is refused as unreadable, with
 * its size and the heap's, and what was read of it is garbage again: the one thread reading it met the limit, and
 * nothing else was taken from the heap. Let through, the error ended the thread that read the file; in the wrapper,
 * the one reading the client, whose RCPT then waited for a reply until the session deadline.
 */
public final class TooLargeForMemory extends IOException {

    private static final long serialVersionUID = 1L;

    private TooLargeForMemory(String message) {
        super(message);
    }

    /** What to throw when reading {@code file} whole ran out of memory. */
    public static TooLargeForMemory of(Path file) {
        return of(file, "give Java more with -Xmx in JAVA_OPTS");
    }

    /** As {@link #of(Path)}, a file of a regular size saying {@code remedy}. */
    public static TooLargeForMemory of(Path file, String remedy) {
        String heap = "a heap of at most " + megabytes(Runtime.getRuntime().maxMemory());
        long size;
        try {
            size = Files.isRegularFile(file) ? Files.size(file) : -1;
        } catch (IOException e) {
            size = -1;
        }
        if (size < 0) {
            return new TooLargeForMemory("it is no regular file and read without end (a device?) past what this"
                    + " program's memory can hold (" + heap + ")");
        }
        return new TooLargeForMemory("at " + megabytes(size) + " it is larger than this program's memory can hold ("
                + heap + "): " + remedy);
    }

    private static String megabytes(long bytes) {
        return (bytes + (1 << 20) - 1 >> 20) + " MB";
    }
}
