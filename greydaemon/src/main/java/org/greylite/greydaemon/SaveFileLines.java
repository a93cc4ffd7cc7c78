package org.greylite.greydaemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.net.Cidr;
import org.greylite.text.ClientText;

/**
 * greydaemon's text save file, read line by line: what a line says, and whether a file is one at all.
 * greydaemon wrote {@code I TIME IP} for a known address (last passed at TIME) and {@code G TIME IP FROM TO}
 * for a pending triplet (first seen at TIME; {@code .} for the null sender). Like greydaemon, a line is read
 * whatever follows its last field ({@code I TIME IP note}, {@code G TIME IP FROM TO extra}).
 *
 * <p>A {@code G} line may end after the sender ({@code G TIME IP FROM}, usually with the space before the
 * missing recipient left in): greydaemon writes the empty recipient that way, from a request that listed
 * {@code RCPT TO:<>}, and a split on spaces reads it back as that same triplet. Since an empty recipient is
 * decided as a recipient like any other ({@link Request}), such a line is a pending triplet with the empty
 * recipient, so the retry of that message finds it, rather than a line to skip.
 */
final class SaveFileLines {

    /** How many lines, blank ones aside, decide whether a file is a save file, as {@code file(1)} reads a head. */
    static final int HEAD = 100;

    // greydaemon's patterns are not anchored at the end: what follows the address of an I line, or the recipient
    // of a G line, after a blank, is ignored, as greydaemon ignored it. A G line's recipient follows its sender
    // after one space (greydaemon's "(\\S+) (\\S+)"); a line whose sender is followed by blanks only has none.
    private static final Pattern KNOWN = Pattern.compile("I (\\d+) (\\S+)(?:\\s.*)?");
    private static final Pattern PENDING = Pattern.compile("G (\\d+) (\\S+) (\\S+)(?: (\\S+)(?:\\s.*)?|\\s*)");
    /** The look of a save file's line, read or not: a kind, then at least a time and an address. */
    private static final Pattern SHAPE = Pattern.compile("[IG] \\S+ \\S+.*");

    private SaveFileLines() {
    }

    /** What a line that greydaemon would have read says. */
    sealed interface Entry permits Known, Pending {
    }

    /** {@code I TIME IP}: the address passed at {@code time}. */
    record Known(long time, InetAddress client) implements Entry {
    }

    /** {@code G TIME IP FROM TO}: first seen at {@code time}; the sender "" for the null sender. */
    record Pending(long time, InetAddress client, String sender, String recipient) implements Entry {
    }

    /**
     * The entry on {@code line} (read as ISO-8859-1), or null for a line greydaemon would have skipped (or a blank
     * one).
     */
    static Entry entry(String line) {
        Matcher k = KNOWN.matcher(line);
        if (k.matches()) {
            Long t = time(k.group(1));
            InetAddress ip = address(k.group(2));
            return t == null || ip == null ? null : new Known(t, ip);
        }
        Matcher g = PENDING.matcher(line);
        if (g.matches()) {
            Long t = time(g.group(1));
            InetAddress ip = address(g.group(2));
            // The file is read a character a byte; a live request's fields are UTF-8 when they are valid UTF-8
            // (Request), so the saved sender and recipient are decoded the same way, or a triplet with a UTF-8
            // sender would be keyed apart from its retry.
            String from = g.group(3).equals(".") ? "" : ClientText.fromOctets(g.group(3));
            String to = g.group(4) == null ? "" : ClientText.fromOctets(g.group(4));
            return t == null || ip == null ? null : new Pending(t, ip, from, to);
        }
        return null;
    }

    /**
     * Why a file that is not an SQLite database is no save file either, or null when it is one. It is one when
     * its head (the first {@link #HEAD} lines that are not blank) holds a line greydaemon would have read, or
     * when every line of the head looks like one: a file greydaemon wrote is recognised even when its first
     * lines are ones it would have skipped (those are skipped, with a warning, as anywhere else in the file),
     * while a file of something else (notes, a configuration, a binary) is left alone. Judging by the first
     * line alone refused a save file for one odd line at its top, and stopped the start.
     *
     * <p>The whole file is read, a line at a time, for a NUL: a file of something else can begin with text.
     */
    static String notASaveFile(Path file) throws IOException {
        List<String> head = new ArrayList<>();
        try (BufferedReader in = reader(file)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.indexOf('\0') >= 0) {
                    // Nothing in greydaemon's protocol can hold a NUL (it ends each field), so no save file line can.
                    return "it holds binary data";
                }
                if (head.size() < HEAD && !line.isBlank()) {
                    head.add(line);
                }
            }
        }
        if (head.isEmpty()) {
            return "it holds only blank lines";
        }
        if (head.stream().anyMatch(l -> entry(l) != null) || head.stream().allMatch(l -> SHAPE.matcher(l).matches())) {
            return null;
        }
        return (head.size() == 1 ? "its one line is not" : "no line among its first " + head.size() + " is")
                + " 'I TIME IP' or 'G TIME IP FROM TO'";
    }

    /**
     * The file's lines, a character a byte (greydaemon wrote the bytes it was sent), ended by LF, CR or CRLF: a save
     * file that went through an editor that wrote CRLF is read as it was written.
     */
    static BufferedReader reader(Path file) throws IOException {
        return Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
    }

    /** A time greydaemon wrote (Unix seconds), or null when the digits overflow: a line to skip, not a failure. */
    private static Long time(String digits) {
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static InetAddress address(String text) {
        if (text.indexOf('/') >= 0) {
            return null;
        }
        try {
            return Cidr.parse(text).firstAddress(); // a literal only: no DNS query for a name
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
