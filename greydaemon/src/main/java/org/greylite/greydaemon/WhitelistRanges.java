package org.greylite.greydaemon;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.config.FileErrors;
import org.greylite.net.Cidr;
import org.greylite.text.ClientText;

/**
 * The address ranges of greydaemon's {@code -w FILE}, whose clients are never greylisted (answer {@code 1,1}).
 * One range a line, in greydaemon's forms: {@code 192.0.2.0/24}, a whole address {@code 192.0.2.7}, or its
 * first octets standing for a block ({@code 192.0.2} is a /24, {@code 10.1} a /16, {@code 10} a /8);
 * {@code #} starts a comment, and text after the range is ignored. IPv6 blocks ({@code 2001:db8::/32}) are
 * accepted too. A line holding no range stops the start with the file and line, as greydaemon refused to
 * start on it: a whitelist silently shorter than written would greylist clients the administrator exempted.
 */
final class WhitelistRanges {

    static final WhitelistRanges NONE = new WhitelistRanges(null, List.of());

    private static final Pattern WITH_PREFIX = Pattern.compile("(\\d[0-9.]*)/(\\d+)");
    private static final Pattern OCTETS = Pattern.compile("\\d+(?:\\.\\d+){0,3}");

    private final Path file;
    private final List<Cidr> ranges;

    private WhitelistRanges(Path file, List<Cidr> ranges) {
        this.file = file;
        this.ranges = List.copyOf(ranges);
    }

    /**
     * @throws IllegalArgumentException naming -w, the file and why when it cannot be read, or the file and line of
     *                                  a range that cannot be read: either is the configuration's mistake
     */
    static WhitelistRanges load(Path file) {
        List<String> lines;
        try {
            lines = ClientText.readLines(file); // as greydaemon read it: bytes
        } catch (IOException e) {
            throw FileErrors.unreadable("-w", file, e);
        }
        List<Cidr> ranges = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (text.isEmpty()) {
                continue;
            }
            try {
                ranges.add(range(text.split("\\s+")[0]));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
        return new WhitelistRanges(file, ranges);
    }

    private static Cidr range(String token) {
        Matcher m = WITH_PREFIX.matcher(token);
        if (m.matches()) {
            return Cidr.parse(fourOctets(m.group(1)) + "/" + m.group(2));
        }
        if (OCTETS.matcher(token).matches()) {
            int octets = token.split("\\.").length;
            return Cidr.parse(fourOctets(token) + "/" + octets * 8);
        }
        if (token.indexOf(':') >= 0) {
            return Cidr.parse(token);
        }
        throw new IllegalArgumentException("'" + token + "' is not an address range (192.0.2.0/24, 192.0.2.7, 192.0.2, 10.1)");
    }

    /** {@code 10.1} as {@code 10.1.0.0}: greydaemon fills the missing octets with zeros. */
    private static String fourOctets(String dotted) {
        String[] parts = dotted.split("\\.");
        if (parts.length > 4) {
            throw new IllegalArgumentException("'" + dotted + "' has more than four octets");
        }
        StringBuilder b = new StringBuilder(dotted);
        for (int i = parts.length; i < 4; i++) {
            b.append(".0");
        }
        return b.toString();
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
