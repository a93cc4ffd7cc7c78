package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/greylited started under an open-file limit too low for it (ulimit -n in a run script, a tight LimitNOFILE=):
 * it must listen or exit, never sit there doing neither. The limit is lowered one descriptor at a time from what a
 * running greylited holds, down to the first that does not let it listen; just there the listening socket, the
 * first socket of the JVM, found no descriptor for the native library it loads, and greylited hung for ever. Each
 * start that fails says that no descriptor was left and what to raise, where it said MINA's "Failed to initialize.".
 */
@Timeout(120)
class StartUnderAnOpenFileLimitTest {

    /** Far more than a start takes; a start that has neither listened nor exited by then hangs. */
    private static final long START_SECONDS = 20;

    @TempDir
    Path dir;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    @Test
    void aLimitTooLowToListenEndsTheStartWithOneHundredEleven() throws Exception {
        Path prlimit = ExternalPrograms.require("prlimit");
        // A start needs a descriptor or two fewer than a running greylited holds: begin there, and go down to the
        // first limit that does not let it listen, or up through every one that does not to the first that does.
        int limit = descriptorsOfARunningGreylited() - 2;
        boolean listened = tryUnder(prlimit, limit);
        int step = listened ? -1 : 1;
        while (limit > 20 && limit < 200) {
            limit += step;
            if (tryUnder(prlimit, limit) != listened) {
                if (!listened) {
                    return; // every limit from the first tried up to this one was tried
                }
                tryUnder(prlimit, limit - 1); // the next one down fails elsewhere in the start: said the same way
                return;
            }
        }
        throw new AssertionError("the limit where greylited starts to listen was not found; last tried " + limit);
    }

    /** Whether greylited listens under {@code limit}; fails if it neither listens nor exits with 111 in time. */
    private boolean tryUnder(Path prlimit, int limit) throws Exception {
        Start start = start(List.of(prlimit.toString(), "--nofile=" + limit + ":" + limit));
        if (!start.listened) {
            assertTrue(start.exited, "under a limit of " + limit + " descriptors greylited neither listened nor exited"
                    + " within " + START_SECONDS + " s:\n" + start.output);
            assertEquals(111, start.status, "under a limit of " + limit + ":\n" + start.output);
            assertTrue(start.output.contains("no file descriptor was left: raise the open-file limit (ulimit -n, or"
                    + " LimitNOFILE= in the systemd unit)"), "under a limit of " + limit + ":\n" + start.output);
        }
        return start.listened;
    }

    /** The descriptors a greylited holds once it listens. */
    private int descriptorsOfARunningGreylited() throws Exception {
        Start start = start(List.of());
        assertTrue(start.listened, start.output);
        return start.descriptors;
    }

    private record Start(boolean listened, boolean exited, int status, int descriptors, String output) {
    }

    private Start start(List<String> prefix) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(prefix);
        cmd.addAll(List.of(Launchers.bin("greylited"), "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
                "--db", dir.resolve("greylite.db").toString(), "--ptr-timeout", "0"));
        Path output = Files.createTempFile(dir, "greylited", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        p.getOutputStream().close();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        try {
            while (System.nanoTime() < giveUp) {
                if (p.waitFor(100, TimeUnit.MILLISECONDS)) {
                    return new Start(false, true, p.exitValue(), 0, read(output));
                }
                if (read(output).contains("INFO  listening on ")) {
                    return new Start(true, false, 0, descriptors(p.pid()), read(output));
                }
            }
            return new Start(false, false, 0, 0, read(output));
        } finally {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int descriptors(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        }
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }
}
