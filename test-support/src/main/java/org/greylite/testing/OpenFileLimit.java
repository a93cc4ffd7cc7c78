package org.greylite.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The open-file limit of a running process, set from outside with prlimit(1), for the tests of a service that runs
 * out of file descriptors. A new descriptor takes the lowest free number, which must be below the limit: a limit
 * of one above the highest descriptor held leaves no room for a new one until one of them is closed.
 */
public final class OpenFileLimit {

    private final Path prlimit;
    private final long pid;

    private OpenFileLimit(Path prlimit, long pid) {
        this.prlimit = prlimit;
        this.pid = pid;
    }

    /** For process {@code pid}; skips the test where prlimit is missing (fails it under CI, see {@link ExternalPrograms}). */
    public static OpenFileLimit of(long pid) {
        return new OpenFileLimit(ExternalPrograms.require("prlimit"), pid);
    }

    /**
     * The highest descriptor number the process holds, once two looks 200 ms apart agree: a finished connection's
     * socket may be closed a turn of an I/O loop after it ends.
     */
    public int highestDescriptorOnceSettled() throws IOException, InterruptedException {
        Path fds = Path.of("/proc", Long.toString(pid), "fd");
        int before = -1;
        for (int i = 0; i < 50; i++) {
            int highest;
            try (var list = Files.list(fds)) {
                highest = list.mapToInt(f -> Integer.parseInt(f.getFileName().toString())).max().orElseThrow();
            }
            if (highest == before) {
                return highest;
            }
            before = highest;
            Thread.sleep(200);
        }
        throw new AssertionError("the descriptors of process " + pid + " never settled");
    }

    /** Leaves no room for a new descriptor; returns the limit set. */
    public int leaveNoRoom() throws IOException, InterruptedException {
        int limit = highestDescriptorOnceSettled() + 1;
        set(limit);
        return limit;
    }

    /** Sets the soft limit to {@code limit}. */
    public void set(int limit) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(prlimit.toString(), "--pid", Long.toString(pid), "--nofile=" + limit + ":")
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError("prlimit --pid " + pid + " --nofile=" + limit + ": failed: " + said);
        }
    }
}
