package org.greylite.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedSet;
import java.util.TreeSet;

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
     * The descriptor numbers the process holds, once two looks 200 ms apart agree: a finished connection's socket may
     * be closed a turn of an I/O loop after it ends.
     */
    private SortedSet<Integer> descriptorsOnceSettled() throws IOException, InterruptedException {
        Path fds = Path.of("/proc", Long.toString(pid), "fd");
        SortedSet<Integer> before = null;
        for (int i = 0; i < 50; i++) {
            SortedSet<Integer> now = new TreeSet<>();
            try (var list = Files.list(fds)) {
                list.forEach(f -> now.add(Integer.parseInt(f.getFileName().toString())));
            }
            if (now.equals(before)) {
                return now;
            }
            before = now;
            Thread.sleep(200);
        }
        throw new AssertionError("the descriptors of process " + pid + " never settled");
    }

    /**
     * Leaves no room for a new descriptor: the limit is set to the lowest number free, which a new descriptor would
     * take. (One above the highest held is not enough: a descriptor closed below it leaves a number free under the
     * limit, and a service that closes each connection it cannot serve then takes the next on that one number.)
     * Returns the limit set.
     */
    public int leaveNoRoom() throws IOException, InterruptedException {
        int lowestFree = 0;
        for (int fd : descriptorsOnceSettled()) {
            if (fd != lowestFree) {
                break;
            }
            lowestFree++;
        }
        set(lowestFree);
        return lowestFree;
    }

    /** Leaves room for at least {@code descriptors} new ones: the limit is set that far above the highest held. */
    public void leaveRoomFor(int descriptors) throws IOException, InterruptedException {
        set(descriptorsOnceSettled().last() + 1 + descriptors);
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
