package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreydbLocation;
import org.greylite.suspicion.ClientFacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine that fails to be made after the greydb was opened for it leaves the greydb closed: each RCPT of the
 * session tries again and fails open, and no file handle of the greydb is left behind. The failure is the one a
 * known-senders file too large to parse in the wrapper's 64 MB heap gives (an OutOfMemoryError that no reader
 * catches), thrown here by the known senders' source; the greydb is a real SQLite file.
 */
class FailedEngineStartTest {

    private static final int RCPTS = 5;

    @TempDir
    Path dir;

    @Test
    void aFailedEngineClosesTheGreydbItOpened() throws Exception {
        Path greydb = dir.resolve("greylite.db");
        Decisions decisions = new Decisions(GreydbLocation.parse(greydb.toString()), Duration.ofSeconds(5),
                GreylistSettings.defaults(), null, Map.of(), Clock.systemUTC(), () -> {
                    throw new OutOfMemoryError("Java heap space");
                });
        try {
            for (int i = 0; i < RCPTS; i++) {
                Verdict v = decisions.decide(new RcptRequest(InetAddress.getByName("192.0.2.7"),
                        new ClientFacts("192.0.2.7", "", "h", "a@x.example", "b" + i + "@y.example", null, null), null));
                assertEquals(Verdict.Action.ACCEPT, v.action(), "fail open: " + v);
            }
            assertEquals(0, openHandles(greydb), "greydb handles held after " + RCPTS + " RCPTs whose engine failed");
        } finally {
            decisions.close();
        }
    }

    /** The descriptors of this process open on the greydb file itself (its -wal and -shm aside). */
    private static long openHandles(Path greydb) throws IOException {
        Path target = greydb.toRealPath();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(target);
                } catch (IOException e) {
                    return false; // closed since it was listed
                }
            }).count();
        }
    }
}
