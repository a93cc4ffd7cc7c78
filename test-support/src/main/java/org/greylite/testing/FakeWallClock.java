package org.greylite.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The wall clock of a program the test starts, stepped by hand as NTP steps a host's clock: Debian's libfaketime
 * loaded into the program's process ({@link #environment()}), which reads the clock's offset from a file at every
 * look. The monotonic clock ({@code System.nanoTime()}) and the times of files are left as they are, as a step of
 * the host's clock leaves them; the machine's own clock is never touched.
 *
 * <p>As with {@link ExternalPrograms}, without libfaketime the test is skipped on a developer's machine and fails
 * under CI ({@code .ci/run} installs it).
 */
public final class FakeWallClock {

    /** Where Debian puts the library (its multiarch folder first), the thread-safe build. */
    private static final List<String> LIBRARY = List.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
            "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/faketime/libfaketimeMT.so.1");

    private final Path library;
    private final Path offsetFile;
    private Duration offset = Duration.ZERO;

    private FakeWallClock(Path library, Path offsetFile) {
        this.library = library;
        this.offsetFile = offsetFile;
    }

    /** A clock that starts at the real time, its offset kept in {@code dir}. */
    public static FakeWallClock in(Path dir) throws IOException {
        FakeWallClock clock = new FakeWallClock(requireLibrary(), dir.resolve("faketime-offset"));
        clock.write();
        return clock;
    }

    /** The variables that put the program's wall clock under this one. */
    public Map<String, String> environment() {
        return Map.of("LD_PRELOAD", library.toString(),
                "FAKETIME_TIMESTAMP_FILE", offsetFile.toString(),
                "FAKETIME_NO_CACHE", "1", // the file is read at every look: a step shows at once
                "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                // The JVM's timed waits go by the monotonic clock, which is not faked; libfaketime's rework of them
                // cost the JVM seconds of CPU (greylited took 25 s to start instead of 4).
                "FAKETIME_FORCE_MONOTONIC_FIX", "0",
                "NO_FAKE_STAT", "1");
    }

    /** Steps the wall clock by {@code d} (back when negative), from where earlier steps left it. */
    public synchronized void step(Duration d) throws IOException {
        offset = offset.plus(d);
        write();
    }

    /** Replaces the file whole: the program never reads it half written. */
    private void write() throws IOException {
        long seconds = offset.getSeconds();
        Path next = offsetFile.resolveSibling(offsetFile.getFileName() + ".next");
        Files.writeString(next, (seconds < 0 ? "-" : "+") + Math.abs(seconds) + "\n");
        Files.move(next, offsetFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Path requireLibrary() {
        Optional<Path> found = LIBRARY.stream().map(Path::of).filter(Files::isReadable).findFirst();
        if (found.isPresent()) {
            return found.get();
        }
        String why = "libfaketime is not installed (Debian package libfaketime, see .ci/run)";
        if (ExternalPrograms.underCi()) {
            Assertions.fail(why + "; CI=true, so this is a failure, not a skip");
        }
        Assumptions.abort(why);
        throw new AssertionError("unreachable");
    }
}
