package org.greylite.greydaemon;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.net.Cidr;

/**
 * greydaemon's command line, read as greydaemon's {@code getopts("ds:g:m:t:u:w:")} read it:
 * {@code greydaemon [-d] [-u USER] [-w FILE] [-s MINUTES] [-t DAYS] [-g HOURS] [-m MINUTES] IPADDR[:PORT] SAVEFILE}.
 * Flags come before the two operands, may be bundled ({@code -dm5}), and take their value attached or as
 * the next word. Each number is read as greydaemon's {@code ($opt_m || 5)*60} read it ({@link #amount}).
 *
 * @param debug      {@code -d}: log every decision, skipped ones too
 * @param user       {@code -u}: the user to run as, or null
 * @param whitelist  {@code -w}: the file of address ranges never greylisted, or null
 * @param purgeEvery {@code -s}: greydaemon saved its memory this often; here, how often expired rows are purged
 * @param knownFor   {@code -t}: how long an address that passed stays known (null: the default)
 * @param window     {@code -g}: how long a first attempt waits for its retry (null: the default)
 * @param minDelay   {@code -m}: how soon a retry may pass (null: the default)
 * @param listen     IPADDR[:PORT], port 1999 by default
 * @param saveFile   SAVEFILE: the greydb, a path (SQLite) or a {@code postgresql://} URL
 * @param warnings   what greydaemon read from a value without saying so (the text after a number), for the log
 */
record CommandLine(boolean debug, String user, Path whitelist, Duration purgeEvery, Duration knownFor,
                   Duration window, Duration minDelay, InetSocketAddress listen, String saveFile,
                   List<String> warnings) {

    /**
     * The number at the start of a value, as Perl reads a string as a number: blanks, a sign, digits with a
     * fraction, an exponent. What follows it is ignored, as Perl ignores it.
     */
    private static final Pattern PERL_NUMBER = Pattern.compile("\\s*([+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)");

    /** Longer than any setting can mean (some 300 years), and short enough for the clock's arithmetic. */
    private static final BigDecimal LONGEST_SECONDS = BigDecimal.valueOf(10_000_000_000L);

    static final int DEFAULT_PORT = 1999;
    static final Duration DEFAULT_PURGE_EVERY = Duration.ofMinutes(10);

    static final String USAGE = "usage: greydaemon [-d] [-u USER] [-w FILE] [-s MINUTES] [-t DAYS] [-g HOURS]"
            + " [-m MINUTES] IPADDR[:PORT] SAVEFILE";

    /** What {@code --version} prints, as greylitectl, greylited and greylite-policy print theirs. */
    static final String VERSION = "greydaemon 0.1.0";

    /** What {@code --help} prints: the usage, then what each flag and operand means. */
    static final String HELP = USAGE + "\n"
            + "  -d             log every decision, the skipped ones too (LOGTHRESHOLD=7)\n"
            + "  -u USER        run as USER (bin/greydaemon, started as root, switches to it before Java starts)\n"
            + "  -w FILE        address ranges never greylisted, answered 1,1 (192.0.2.0/24, 192.0.2.7, 192.0.2)\n"
            + "  -s MINUTES     how often expired rows are purged (10)\n"
            + "  -t DAYS        how long an address that passed stays known after its last message (7)\n"
            + "  -g HOURS       how long a first attempt waits for its retry (12)\n"
            + "  -m MINUTES     how soon after the attempt last refused a retry may pass (5)\n"
            + "  IPADDR[:PORT]  the address to serve on (port 1999); 0.0.0.0 or [::]: every address of the host,\n"
            + "                 each answered from itself (IPv4 alone for 0.0.0.0)\n"
            + "  SAVEFILE       the greydb: a path (SQLite; an old greydaemon save file there is imported) or a\n"
            + "                 postgresql:// URL\n"
            + "  --help         print this and exit\n"
            + "  --version      print the version and exit\n"
            + "Fractions are allowed; 0 (written so) means the default, 0.0 zero, as in greydaemon. The greylite"
            + " environment\nadjusts the rest (GREYLITE_MIN_DELAY, SUSPICION, GREYLITE_FAIL_CLOSED...): see README.md,"
            + " \"greydaemon drop-in\".";

    /**
     * {@link #HELP} or {@link #VERSION} when {@code --help} or {@code --version} is among the flags, else null.
     * greydaemon's getopts knew no long option, so neither word can mean anything else there; they are looked
     * for before the command line is read, so that a request for help is not refused for a missing operand.
     */
    static String helpOrVersion(List<String> args) {
        for (String a : args) {
            if (a.equals("--help")) {
                return HELP;
            }
            if (a.equals("--version")) {
                return VERSION;
            }
            if (a.equals("--") || !a.startsWith("-") || a.length() == 1) {
                return null; // the operands begin: an operand named --help is an operand
            }
        }
        return null;
    }

    /** @throws IllegalArgumentException saying what is wrong, for the usage message */
    static CommandLine parse(List<String> args) {
        boolean debug = false;
        String user = null;
        Path whitelist = null;
        Duration purge = null;
        Duration knownFor = null;
        Duration window = null;
        Duration minDelay = null;
        List<String> warnings = new ArrayList<>();
        int i = 0;
        while (i < args.size() && args.get(i).startsWith("-") && args.get(i).length() > 1) {
            String a = args.get(i++);
            if (a.equals("--")) {
                break;
            }
            for (int c = 1; c < a.length(); c++) {
                char flag = a.charAt(c);
                if (flag == 'd') {
                    debug = true;
                    continue;
                }
                if ("sgmtuw".indexOf(flag) < 0) {
                    throw new IllegalArgumentException("unknown flag -" + flag);
                }
                String value;
                if (c + 1 < a.length()) {
                    value = a.substring(c + 1);
                } else if (i < args.size()) {
                    value = args.get(i++);
                } else {
                    throw new IllegalArgumentException("-" + flag + " needs a value");
                }
                switch (flag) {
                    case 'u' -> user = value;
                    case 'w' -> whitelist = Path.of(value);
                    case 's' -> purge = amount(value, "-s", Duration.ofMinutes(1), warnings);
                    case 't' -> knownFor = amount(value, "-t", Duration.ofDays(1), warnings);
                    case 'g' -> window = amount(value, "-g", Duration.ofHours(1), warnings);
                    default -> minDelay = amount(value, "-m", Duration.ofMinutes(1), warnings);
                }
                break; // the rest of the word was the value
            }
        }
        List<String> operands = args.subList(i, args.size());
        if (operands.size() != 2) {
            throw new IllegalArgumentException(operands.isEmpty() ? "need the IP address to serve on"
                    : operands.size() == 1 ? "need the name of the save file (the greydb)"
                    : "too many operands: " + String.join(" ", operands));
        }
        return new CommandLine(debug, user, whitelist, purge == null ? DEFAULT_PURGE_EVERY : purge, knownFor,
                window, minDelay, listen(operands.get(0)), operands.get(1), List.copyOf(warnings));
    }

    /**
     * A count of units, read as greydaemon's {@code ($opt_m || 5)*60} read it. Only the strings Perl holds false,
     * {@code ""} and {@code "0"}, fall back to the default (returned as null); {@code 0.0}, {@code 00} or
     * {@code 0e0} are true strings worth 0, so zero. Perl reads the number at the start of the value and ignores
     * the rest ({@code 5m} is 5): so here, with a warning. Fractions count, rounded up to the second: greydaemon
     * compared whole seconds with them ({@code now - first < 0.06} holds only when the difference is 0, so
     * {@code -m 0.001} waited a second). A value with no number at all, which Perl read as 0 without a word, or a
     * negative one, is refused: neither can be what was meant, and 0 for {@code -g} would let no retry pass.
     */
    private static Duration amount(String value, String flag, Duration unit, List<String> warnings) {
        if (value.isEmpty() || value.equals("0")) {
            return null;
        }
        Matcher m = PERL_NUMBER.matcher(value);
        if (!m.lookingAt()) {
            throw new IllegalArgumentException(flag + " takes a number, not '" + value + "'");
        }
        BigDecimal n = new BigDecimal(m.group(1).startsWith("+") ? m.group(1).substring(1) : m.group(1));
        if (n.signum() < 0) {
            throw new IllegalArgumentException(flag + " must not be negative: " + value);
        }
        if (!value.substring(m.end()).isBlank()) {
            warnings.add(flag + " '" + value + "' is read as " + m.group(1).strip() + ", as greydaemon read it;"
                    + " the rest is ignored");
        }
        BigDecimal seconds = n.multiply(BigDecimal.valueOf(unit.getSeconds())).setScale(0, RoundingMode.CEILING);
        if (seconds.compareTo(LONGEST_SECONDS) > 0) {
            throw new IllegalArgumentException(flag + " " + value + " is longer than any setting can mean");
        }
        return Duration.ofSeconds(seconds.longValueExact());
    }

    /** {@code 127.0.0.1}, {@code 127.0.0.1:1999}, {@code [::1]:1999} or {@code ::1}: an address literal. */
    static InetSocketAddress listen(String text) {
        String host = text;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("no ']' in '" + text + "'");
            }
            host = text.substring(1, close);
            if (close + 1 < text.length()) {
                if (text.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("'" + text + "' is not IPADDR[:PORT]");
                }
                port = text.substring(close + 2);
            }
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            host = text.substring(0, text.indexOf(':'));
            port = text.substring(text.indexOf(':') + 1);
        }
        InetAddress address;
        try {
            if (host.indexOf('/') >= 0) {
                throw new IllegalArgumentException("a block");
            }
            address = Cidr.parse(host).firstAddress();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + host + "' is not an IP address to serve on (e.g. 127.0.0.1:1999)");
        }
        int p = DEFAULT_PORT;
        if (port != null) {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("'" + port + "' is not a port number (0-65535)");
            }
        }
        return new InetSocketAddress(address, p);
    }
}
