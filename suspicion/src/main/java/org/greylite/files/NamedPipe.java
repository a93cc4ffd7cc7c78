package org.greylite.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A followed file that is a named pipe (FIFO). Opening one for reading waits until a writer comes, so a suspicion
 * path pointing at one held greylited's start (or its reload timer) forever without a word, and a wrapper session's
 * first RCPT until the session deadline. It is refused before it is opened, as a directory is.
 */
public final class NamedPipe extends IOException {

    private static final long serialVersionUID = 1L;

    /** S_IFMT and S_IFIFO of stat(2). */
    private static final int TYPE_MASK = 0170000;
    private static final int FIFO = 0010000;

    /** The message does not repeat the path: every line that reports it names the file already. */
    private NamedPipe() {
        super("it is a named pipe (FIFO), not a file: reading it would wait for a writer");
    }

    /** Throws when {@code file} is a named pipe; does nothing where the file system cannot tell. */
    public static void refuse(Path file) throws NamedPipe {
        Object mode;
        try {
            mode = Files.getAttribute(file, "unix:mode");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return; // the read that follows reports a file that is not there
        }
        if (mode instanceof Integer m && (m & TYPE_MASK) == FIFO) {
            throw new NamedPipe();
        }
    }
}
