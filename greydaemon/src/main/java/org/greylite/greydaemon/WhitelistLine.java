package org.greylite.greydaemon;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.net.Cidr;

/**
 * One line of greydaemon's {@code -w} file, read as greydaemon's {@code addrange} read it, so that every file
 * greydaemon loaded loads here with the same ranges. greydaemon did not take the line's first word: it looked
 * anywhere in the line for the first of these patterns that matches at all, in this order, and took its leftmost
 * match: an address with a prefix length ({@code 192.0.2.0/24}), four numbers with dots (a /32), three (a /24),
 * two (a /16), one number (a /8). So {@code 192.0.2.} and {@code 203.0.113.*} (tcprules' forms) are the /24,
 * {@code mx1 192.0.2.7} and {@code "192.0.2.7";} the address, {@code 192.0.2.7,192.0.2.8} the first address only.
 * Only a line without a digit made greydaemon stop ("bad range"); so it does here.
 *
 * <p>Where greydaemon was plainly wrong, the range the line names is read instead, and the administrator is
 * warned of the difference:
 * <ul>
 * <li>it kept the address bits past the prefix length ({@code 192.0.2.7/24} was filed under 192.0.2.7 and then
 *     matched at most that one address, often nothing): here the /24 the line names; but a prefix shorter than
 *     {@link #WIDEST_WIDENED} is not widened ({@code 192.0.2.7/0} would be every client): the line is skipped;</li>
 * <li>a number over 255 wrapped around ({@code 300.1.2.3} was 44.1.2.3), and a prefix length over 32 matched
 *     a single address at most: here such a line names no range, is skipped and is warned about;</li>
 * <li>its first pattern wanted two characters before the {@code /}, so {@code 2/16} fell to the last pattern,
 *     the /8 of 2: here the /16 written;</li>
 * <li>two lines naming one network address with different lengths: greydaemon kept only the last; here both
 *     (see {@link WhitelistRanges}).</li>
 * </ul>
 * A line whose text around the range holds more digits or letters joined to it ({@code 1.2.3.4.5},
 * {@code 192.0.2.1-192.0.2.9}, {@code mx1 10}) is read as greydaemon read it, with a warning that only that
 * range is taken: the line may say more than greydaemon ever read from it.
 *
 * <p>IPv6, which greydaemon did not know (it read {@code 2001:db8::/32} as the /8 of 209, 2001 wrapped), is read
 * from the first word of the line that has the look of an IPv6 address or block (two colons at least, hex digits,
 * dots, a length, a zone), unless an IPv4 address comes before it. Such a word that cannot be read (a zone index,
 * a typo, a length over 128) names no range: the line is skipped with a warning. Left to greydaemon's patterns, a
 * number inside it was the range: {@code fe80::1%eth0} the /8 of 80, {@code mx6 2001:db8::6} the /8 of 6, a sixteenth
 * of a million addresses let through ungreylisted for a line meant for one.
 */
final class WhitelistLine {

    /** greydaemon's patterns, in its order, each with the prefix length it gives (-1: the one written). */
    private static final List<Pattern> PATTERNS = List.of(
            // greydaemon's first pattern wanted two characters before the '/', so 2/16 was its /8: one will do here.
            Pattern.compile("(\\d[0-9.]*)/(\\d+)"),
            Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+"),
            Pattern.compile("\\d+\\.\\d+\\.\\d+"),
            Pattern.compile("\\d+\\.\\d+"),
            Pattern.compile("\\d+"));
    private static final int[] LENGTHS = {-1, 32, 24, 16, 8};

    private static final Pattern DIGIT = Pattern.compile("\\d");

    /**
     * The shortest prefix a line with address bits past it is widened to ({@code 10.1.2.3/8} is the /8). Below it the
     * line names no range: a block of half the Internet or all of it is not what {@code 192.0.2.7/0} was meant to say.
     */
    static final int WIDEST_WIDENED = 8;

    /** What is trimmed off a word before it is tried as IPv6: quotes, commas, a leading '+'. */
    private static final Pattern NOT_IPV6 = Pattern.compile("^[^0-9A-Fa-f:]+|[^0-9A-Fa-f:./]+$");

    /** The look of an IPv6 address or block: two colons at least among hex digits and dots, a zone, a length. */
    private static final Pattern IPV6_LOOK = Pattern.compile("[0-9A-Fa-f.]*(?::[0-9A-Fa-f.]*){2,}(?:%[^/]*)?(?:/\\d+)?");

    private static final Pattern WORD = Pattern.compile("\\S+");

    /** greydaemon's IPv4 address, with a length or in four numbers: one before an IPv6 word decides the line. */
    private static final Pattern IPV4_ADDRESS = Pattern.compile("\\d[0-9.]*/\\d+|\\d+\\.\\d+\\.\\d+\\.\\d+");

    private WhitelistLine() {
    }

    /**
     * What a line says.
     *
     * @param range   the range to load, or null when the line names none that can be used (skipped)
     * @param warning what the administrator should know about the line, or null
     */
    record Read(Cidr range, String warning) {
    }

    /**
     * Reads a line, its comment and surrounding blanks already removed, not empty.
     *
     * @throws IllegalArgumentException when the line holds no digit at all, where greydaemon stopped
     */
    static Read read(String text) {
        Read v6 = ipv6(text);
        if (v6 != null) {
            return v6;
        }
        for (int i = 0; i < PATTERNS.size(); i++) {
            Matcher m = PATTERNS.get(i).matcher(text);
            if (m.find()) {
                String dotted = LENGTHS[i] < 0 ? m.group(1) : m.group();
                String length = LENGTHS[i] < 0 ? m.group(2) : Integer.toString(LENGTHS[i]);
                return range(text, m.start(), m.end(), dotted, length);
            }
        }
        throw new IllegalArgumentException("'" + text + "' holds no address range (192.0.2.0/24, 192.0.2.7,"
                + " 192.0.2, 10.1)");
    }

    /**
     * The range of the line's IPv6 word, a skip when that word cannot be read, or null when the line is read as
     * greydaemon read it: it has no IPv6 word, an IPv4 address comes first, or the word is an IPv4 address written as
     * IPv6 ({@code ::ffff:192.0.2.7}, whose IPv4 address greydaemon's patterns find). An IPv4-mapped block
     * ({@code ::ffff:192.0.2.0/120}) is the IPv4 block it maps.
     */
    private static Read ipv6(String text) {
        Matcher v4 = IPV4_ADDRESS.matcher(text);
        int ipv4At = v4.find() ? v4.start() : text.length();
        Matcher words = WORD.matcher(text);
        while (words.find() && words.start() <= ipv4At) {
            String word = NOT_IPV6.matcher(words.group()).replaceAll("");
            if (!IPV6_LOOK.matcher(word).matches()) {
                continue; // 198.51.100.:allow has one colon
            }
            try {
                Cidr c = Cidr.parse(word);
                // A mapped address alone is left to greydaemon's patterns, which find the IPv4 address in it; a mapped
                // block's length counts 128 bits (::ffff:192.0.2.0/120), which those patterns took for an IPv4 length
                // over 32, and skipped: it is the IPv4 block it maps.
                return c.isIpv4() && word.indexOf('/') < 0 ? null : new Read(c, null);
            } catch (IllegalArgumentException e) {
                return new Read(null, "'" + words.group() + "' is not an IPv6 address or block that can be read;"
                        + " not loaded (greydaemon, which knew no IPv6, read a number in it as an IPv4 range)");
            }
        }
        return null;
    }

    /** The range the match names, as greydaemon packed it: its numbers the first octets, zeros after them. */
    private static Read range(String text, int start, int end, String dotted, String lengthText) {
        String found = text.substring(start, end);
        // Perl's split drops the empty fields at the end (192.0.2. is three) and packs an empty field as 0.
        String[] parts = dotted.replaceAll("\\.+$", "").split("\\.");
        long[] octets = new long[4];
        for (int i = 0; i < 4 && i < parts.length; i++) {
            octets[i] = parts[i].isEmpty() ? 0 : number(parts[i]);
            if (octets[i] > 255) {
                return new Read(null, "'" + found + "' has a number over 255; greydaemon wrapped it around to"
                        + " another address; not loaded");
            }
        }
        long length = number(lengthText);
        if (length > 32) {
            return new Read(null, "'" + found + "' has a prefix length over 32; not loaded");
        }
        String address = octets[0] + "." + octets[1] + "." + octets[2] + "." + octets[3];
        Cidr range = Cidr.parse(address + "/" + length);
        String warning = null;
        boolean hostBits = !range.firstAddress().getHostAddress().equals(address);
        if (hostBits && length < WIDEST_WIDENED) {
            // 192.0.2.7/0 read as its block would be every address: one slip of the keyboard and no client greylisted,
            // where greydaemon, keeping the address bits, let at most that one address through. A block that wide is
            // loaded only when written as one (0.0.0.0/0, 128.0.0.0/1).
            return new Read(null, "'" + found + "' has address bits past its /" + length + ", and its block " + range
                    + " is wider than a /" + WIDEST_WIDENED + "; not loaded (greydaemon matched at most " + address
                    + " with it; write " + range + " if that block is meant)");
        }
        if (hostBits) {
            warning = "'" + found + "' has address bits past its /" + length + "; read as " + range + ", the block"
                    + " it names (greydaemon, keeping those bits, matched at most part of it)";
        } else if (moreAround(text, start, end)) {
            warning = "only " + range + " is read from this line, as greydaemon read it; the rest is ignored";
        }
        return new Read(range, warning);
    }

    /** Digits elsewhere on the line, or a letter or digit joined to the match: the line may mean more. */
    private static boolean moreAround(String text, int start, int end) {
        String before = text.substring(0, start);
        String after = text.substring(end);
        return DIGIT.matcher(before).find() || DIGIT.matcher(after).find()
                || start > 0 && Character.isLetterOrDigit(text.charAt(start - 1))
                || end < text.length() && Character.isLetter(text.charAt(end));
    }

    /** A run of digits, saturated: a number too long for a long is over any limit all the same. */
    private static long number(String digits) {
        return digits.length() > 12 ? Long.MAX_VALUE : Long.parseLong(digits);
    }
}
