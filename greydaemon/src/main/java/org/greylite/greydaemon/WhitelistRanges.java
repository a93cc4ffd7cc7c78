package org.greylite.greydaemon;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.greylite.config.FileErrors;
import org.greylite.net.Cidr;
import org.greylite.text.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The address ranges of greydaemon's {@code -w FILE}, whose clients are never greylisted (answer {@code 1,1}).
 * Each line is read as greydaemon read it ({@link WhitelistLine}): {@code #} starts a comment, blank lines are
 * skipped, and a line holding no digit at all stops the start with the file and line, as greydaemon refused to
 * start on it. Every other line greydaemon loaded loads here; a line read differently from what it seems to say
 * is logged with its file and line, so the administrator can put it right without the start failing (under
 * daemontools a failed start is a restart loop, and every qmail-smtpd meanwhile timing out and accepting).
 *
 * <p>All ranges are kept and each is tried: greydaemon filed its ranges by network address, so of two lines
 * naming one address with different lengths ({@code 10.0.0.0/8}, {@code 10.0.0.0/24}) only the last counted.
 */
final class WhitelistRanges {

    static final WhitelistRanges NONE = new WhitelistRanges(null, List.of(), List.of());

    private static final Logger LOG = LoggerFactory.getLogger(WhitelistRanges.class);
    private static final char BYTE_ORDER_MARK = '\uFEFF';

    private final Path file;
    private final List<Cidr> ranges;
    private final List<String> skipped;

    private WhitelistRanges(Path file, List<Cidr> ranges, List<String> skipped) {
        this.file = file;
        this.ranges = List.copyOf(ranges);
        this.skipped = List.copyOf(skipped);
    }

    /**
     * @throws IllegalArgumentException naming -w, the file and why when it cannot be read, or the file and line of
     *                                  a line holding no digit: either is the configuration's mistake
     */
    static WhitelistRanges load(Path file) {
        List<String> lines;
        try {
            lines = ClientText.readLines(file); // as greydaemon read it: bytes
        } catch (IOException e) {
            throw FileErrors.unreadable("-w", file, e);
        }
        List<Cidr> ranges = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && !line.isEmpty() && line.charAt(0) == BYTE_ORDER_MARK) {
                // An editor's mark that the file is UTF-8; greydaemon stopped at it when a comment followed.
                line = line.substring(1);
            }
            int hash = line.indexOf('#');
            String text = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (text.isEmpty()) {
                continue;
            }
            WhitelistLine.Read read;
            try {
                read = WhitelistLine.read(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage());
            }
            if (read.warning() != null) {
                LOG.warn("-w {}:{}: {}", file, i + 1, ClientText.printable(read.warning()));
            }
            if (read.range() != null) {
                ranges.add(read.range());
            } else {
                skipped.add(file + ":" + (i + 1));
            }
        }
        return new WhitelistRanges(file, ranges, skipped);
    }

    /** The lines that named no range and were skipped (each logged with its reason), as {@code FILE:LINE}. */
    List<String> skipped() {
        return skipped;
    }

    /** The file read, or null for {@link #NONE}. */
    Path file() {
        return file;
    }

    boolean contains(InetAddress client) {
        for (Cidr c : ranges) {
            if (c.contains(client)) {
                return true;
            }
        }
        return false;
    }

    int size() {
        return ranges.size();
    }

    /** For the decision log, one word as its fields are: {@code -w:/etc/greylist/white}. */
    String describe() {
        return file == null ? "-w" : "-w:" + file;
    }
}
