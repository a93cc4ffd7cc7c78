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

    /** The README's promise: a file per recipient. Only the transaction's last recipient got one. */
    @Test
    void aMessageToSeveralRecipientsIsSavedForEachOfThem() throws Exception {
        Path folder = dir.resolve("demo-mail");
        deliver(folder, List.of("one@example.com", "two@example.com", "three@example.com"), "Subject: to three");

        try (Stream<Path> files = Files.list(folder)) {
            assertEquals(List.of("00001-one@example.com.eml", "00002-two@example.com.eml", "00003-three@example.com.eml"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        assertEquals(List.of("Subject: to three", "Subject: to three", "Subject: to three"), firstLines(folder));
    }

    private static void deliver(Path folder, String rcpt, String text) throws IOException {
        deliver(folder, List.of(rcpt), text);
    }

    private static void deliver(Path folder, List<String> rcpts, String text) throws IOException {
        try (DemoUpstream demo = new DemoUpstream(folder).start();
                RawClient c = new RawClient(demo.address()).hello()) {
            c.command("MAIL FROM:<you@example.org>", 250);
            for (String rcpt : rcpts) {
                c.command("RCPT TO:<" + rcpt + ">", 250);
            }
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
