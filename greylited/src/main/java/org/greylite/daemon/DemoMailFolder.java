package org.greylite.daemon;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo upstream's folder of delivered messages: one file per message and recipient, numbered in the order they
 * came ({@code 00001-someone@example.com.eml}).
 *
 * <p>The demo is run again and again from the same folder, so the numbering goes on from the highest number already
 * there, and a file is only ever created, never overwritten: numbering from 1 at each start replaced the messages an
 * earlier run had saved, without a word. A name taken meanwhile (a second demo on the same folder) moves on to the
 * next number.
 */
final class DemoMailFolder {

    /**
     * The most of a recipient's address a file's name keeps. File systems take names of 255 bytes at most, and an
     * address can be longer (a client's RCPT may be up to the line limit); beyond that the JDK refused the file and
     * the client's message got 554 with the JDK's text. The number keeps names apart, so 200 characters are plenty to
     * tell the administrator whose message it is.
     */
    private static final int MAX_NAME_CHARS = 200;

    /** A saved message's name: its number first. */
    private static final Pattern NUMBERED = Pattern.compile("(\\d+)-.*\\.eml");

    private final Path folder;
    private final AtomicLong last;

    /** @throws IOException when the folder cannot be listed */
    DemoMailFolder(Path folder) throws IOException {
        this.folder = folder;
        this.last = new AtomicLong(highestNumber(folder));
    }

    /** Saves one message for {@code to} in a file of its own; returns that file. */
    Path save(String to, byte[] data) throws IOException {
        String safe = to.replaceAll("[^A-Za-z0-9@._-]", "_");
        if (safe.length() > MAX_NAME_CHARS) {
            safe = safe.substring(0, MAX_NAME_CHARS); // ASCII only by now: a char is a byte
        }
        while (true) {
            Path file = folder.resolve(String.format("%05d-%s.eml", last.incrementAndGet(), safe));
            try {
                Files.write(file, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return file;
            } catch (FileAlreadyExistsException taken) {
                // another demo saved under this number since: the next one
            }
        }
    }

    private static long highestNumber(Path folder) throws IOException {
        long highest = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path f : files) {
                Matcher m = NUMBERED.matcher(f.getFileName().toString());
                if (m.matches() && m.group(1).length() < 18) {
                    highest = Math.max(highest, Long.parseLong(m.group(1)));
                }
            }
        }
        return highest;
    }
}
