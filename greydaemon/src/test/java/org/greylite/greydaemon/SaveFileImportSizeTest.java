package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.JavaProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A save file as large as a busy site's greydaemon left it is imported by the real program, with a heap far smaller
 * than the file: the import reads it a line at a time. Read whole, a file took about four times its size in heap (the
 * bytes, a string of them, then the list of its lines), and a 124 MB save file (1.7 million entries) stopped
 * bin/greydaemon's start with an OutOfMemoryError under its 256 MB heap, at every restart.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SaveFileImportSizeTest {

    @TempDir
    Path dir;

    @Test
    void aSaveFileLargerThanTheHeapIsImported() throws Exception {
        Path save = dir.resolve("save");
        long t = Instant.now().getEpochSecond();
        int pending = 340_000;
        try (BufferedWriter w = Files.newBufferedWriter(save, StandardCharsets.ISO_8859_1)) {
            w.write("I " + (t - 3_600) + " 192.0.2.10\r\n"); // a file that went through a Windows editor: CRLF
            for (int i = 0; i < pending; i++) {
                w.write("G " + (t - 600) + " 10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255)
                        + " sender" + i + "@example.org recipient" + i + "@example.net\r\n");
            }
        }
        assertTrue(Files.size(save) > 24 << 20, "a file larger than the heap: " + Files.size(save));

        // JAVA_TOOL_OPTIONS reaches the JVM of the process: a 24 MB heap, smaller than the file.
        try (JavaProgram d = GreydaemonProcess.start(Map.of("JAVA_TOOL_OPTIONS", "-Xmx24m"), "127.0.0.1:0",
                save.toString())) {
            InetSocketAddress address = GreydaemonProcess.awaitStartedOnLoopback(d, Duration.ofSeconds(150));
            assertTrue(d.output().contains("1 known address(es), " + pending + " pending triplet(s), 0 entries expired"
                            + " by this program's lifetimes left out, 0 line(s) skipped"),
                    d::output);
            try (QmailSmtpdClient c = new QmailSmtpdClient(address)) {
                assertEquals("1,2", c.ask("192.0.2.10", "a@example.org", "b@example.net"), d::output);
                // The last line of the file: a retry ten minutes after its first attempt passes.
                int last = pending - 1;
                assertEquals("1,3", c.ask("10." + (last >> 16 & 255) + "." + (last >> 8 & 255) + "." + (last & 255),
                        "sender" + last + "@example.org", "recipient" + last + "@example.net"), d::output);
            }
        }
    }
}
