package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo upstream as the README's first command uses it: a real SMTP server saving each message in a folder. */
class DemoUpstreamTest {

    @TempDir
    Path dir;

    /**
     * The demo is run again and again from the same folder (to try --min-delay 10s, say): each run numbered its files
     * from 00001 again, so a run's messages silently replaced those an earlier run had saved.
     */
    @Test
    void aSecondRunKeepsTheMessagesTheFirstSaved() throws Exception {
        Path folder = dir.resolve("demo-mail");
        deliver(folder, "someone@example.com", "Subject: first run");
        deliver(folder, "someone@example.com", "Subject: second run");

        assertEquals(List.of("Subject: first run", "Subject: second run"), firstLines(folder));
    }

    /**
     * A recipient's address is part of the file's name, and an address longer than a file name may be (255 bytes
     * here) had its message refused with 554 and the JDK's "File name too long" in the reply.
     */
    @Test
    void aRecipientLongerThanAFileNameMayBeIsSavedAllTheSame() throws Exception {
        Path folder = dir.resolve("demo-mail");
        deliver(folder, "x".repeat(300) + "@example.com", "Subject: long");

        assertEquals(List.of("Subject: long"), firstLines(folder));
    }

    private static void deliver(Path folder, String rcpt, String text) throws IOException {
        try (DemoUpstream demo = new DemoUpstream(folder).start();
                RawClient c = new RawClient(demo.address()).hello()) {
            c.command("MAIL FROM:<you@example.org>", 250);
            c.command("RCPT TO:<" + rcpt + ">", 250);
            c.command("DATA", 354);
            c.command(text + "\r\n\r\nbody\r\n.", 250);
            c.command("QUIT", 221);
        }
    }

    /** The first line of each file in the folder, in the order of the files' names. */
    private static List<String> firstLines(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().map(f -> {
                try {
                    return Files.readAllLines(f, StandardCharsets.UTF_8).get(0);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }
}
