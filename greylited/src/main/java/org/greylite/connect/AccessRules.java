package org.greylite.connect;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A parsed access file: the text format of tcprules(1), which an existing qmail installation already has
 * (typically {@code /etc/tcp.smtp}), read directly instead of compiled to a cdb. Immutable and
 * thread-safe; {@link #lookup} is a few hash look-ups.
 *
 * <h2>The format</h2>
 * One rule per line, {@code ADDRESS:INSTRUCTIONS}, no extra spaces; blank lines and lines starting with
 * {@code #} are ignored, trailing blanks are dropped. INSTRUCTIONS is {@code allow} or {@code deny}, then
 * any number of {@code ,NAME="VALUE"} (the quotes may be any character repeated: {@code ,NAME=/VALUE/}).
 * ADDRESS is one of:
 * <ul>
 *   <li>{@code 1.2.3.4}: that IPv4 address;</li>
 *   <li>{@code 1.2.3.}, {@code 1.2.}, {@code 1.}: every address starting so (a /24, /16, /8);</li>
 *   <li>{@code 1.2.3.37-53}, {@code 10.2-3.}: a range in one component, short for one rule per value;</li>
 *   <li>the empty address: every client;</li>
 *   <li>beyond tcprules: an IPv6 address ({@code 2001:db8::25}), and CIDR for either family
 *       ({@code 2001:db8::/32}, {@code 192.0.2.0/24}).</li>
 * </ul>
 *
 * <h2>Which rule applies</h2>
 * The most specific, as in tcpserver: the rule with the longest prefix containing the client's address
 * (an exact address before {@code 1.2.3.}, before {@code 1.2.}, before {@code 1.}, before the empty
 * address), whatever the order of the lines. Among rules for the very same address or network the first
 * line wins, as tcpserver finds the first cdb record of a key. A client that no rule covers is allowed with
 * no variables.
 *
 * <h2>What is not read</h2>
 * tcpserver's host-name rules ({@code =host.example:}, {@code =.example:}, {@code =:}) need the PTR name,
 * which greylited looks up in the background and does not have when it decides access; ident rules
 * ({@code user@1.2.3.4:}) need an ident lookup nobody runs any more. Such lines, and malformed ones, are
 * reported (file, line, reason) and skipped while the rest of the file loads: tcprules would refuse the
 * whole file, but a server that reloads its rules must keep serving, and a skipped line errs towards
 * tcpserver's default (allow, no variables).
 */
public final class AccessRules implements AccessPolicy {

    /**
     * An access file line that was not loaded.
     *
     * @param file   the access file as named by the administrator
     * @param line   the 1-based line number
     * @param text   the line as written
     * @param reason    what is wrong and what was done
     * @param malformed true for a line tcprules would refuse too; false for one it accepts that greylited does
     *                  not use (a host-name or ident rule, a line shadowed by an earlier one): an existing
     *                  {@code /etc/tcp.smtp} holds such lines, and they must not stop a reload
     */
    public record Problem(String file, int line, String text, String reason, boolean malformed) {

        public Problem(String file, int line, String text, String reason) {
            this(file, line, text, reason, true);
        }

        /** {@code file:line: reason}, the form compilers use. */
        @Override
        public String toString() {
            return file + ":" + line + ": " + reason;
        }
    }

    /** A network: the address bits (IPv4 in the low 32 bits of {@code lo}) masked to its prefix length. */
    private record Net(boolean v6, long hi, long lo, int length) {

        Net masked() {
            if (!v6) {
                long mask = length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)) & 0xFFFF_FFFFL;
                return new Net(false, 0, lo & mask, length);
            }
            if (length <= 64) {
                return new Net(true, length == 0 ? 0 : hi & (-1L << (64 - length)), 0, length);
            }
            return new Net(true, hi, lo & (-1L << (128 - length)), length);
        }
    }

    private static final Pattern OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");
    private static final Pattern IPV6_TEXT = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private final String fileName;
    private final int ruleCount;
    private final List<Problem> problems;
    /** Rules by masked network; prefix lengths present, longest first, per family. */
    private final Map<Net, AccessRule> rules;
    private final int[] v4Lengths;
    private final int[] v6Lengths;

    private AccessRules(String fileName, int ruleCount, List<Problem> problems, Map<Net, AccessRule> rules) {
        this.fileName = fileName;
        this.ruleCount = ruleCount;
        this.problems = List.copyOf(problems);
        this.rules = Map.copyOf(rules);
        this.v4Lengths = lengths(rules, false);
        this.v6Lengths = lengths(rules, true);
    }

    private static int[] lengths(Map<Net, AccessRule> rules, boolean v6) {
        TreeSet<Integer> set = new TreeSet<>();
        rules.keySet().stream().filter(n -> n.v6() == v6).forEach(n -> set.add(n.length()));
        return set.descendingSet().stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Parses the lines of an access file.
     *
     * @param fileName the file's name as the administrator gave it, for problems and logs
     * @param lines    the file's lines, without line terminators
     */
    public static AccessRules parse(String fileName, List<String> lines) {
        Map<Net, AccessRule> rules = new HashMap<>();
        Map<Net, Integer> firstLine = new HashMap<>();
        List<Problem> problems = new ArrayList<>();
        int loaded = 0;
        int number = 0;
        for (String raw : lines) {
            number++;
            String text = stripTrailingBlanks(raw);
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            try {
                int colon = instructionColon(text);
                List<Net> nets = addresses(text.substring(0, colon));
                AccessRule rule = instructions(fileName, number, text, text.substring(colon + 1));
                boolean used = false;
                int shadowedBy = 0;
                for (Net net : nets) {
                    if (rules.putIfAbsent(net, rule) == null) {
                        firstLine.put(net, number);
                        used = true;
                    } else {
                        shadowedBy = firstLine.get(net);
                    }
                }
                if (used) {
                    loaded++;
                } else {
                    problems.add(new Problem(fileName, number, text,
                            "the same address as line " + shadowedBy + ", which comes first; line never used", false));
                }
            } catch (Rejected e) {
                problems.add(new Problem(fileName, number, text, e.getMessage() + "; line ignored", e.malformed));
            }
        }
        return new AccessRules(fileName, loaded, problems, rules);
    }

    /** Reads and parses an access file; bytes that are not UTF-8 are replaced, not fatal. */
    public static AccessRules load(Path file) throws IOException {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        String text = utf8.decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        return parse(file.toString(), text.lines().toList());
    }

    /** The file's name as given. */
    public String fileName() {
        return fileName;
    }

    /** How many lines loaded. */
    public int ruleCount() {
        return ruleCount;
    }

    /** The lines that were not loaded, in file order. */
    public List<Problem> problems() {
        return problems;
    }

    /** The malformed lines among the {@link #problems()}: what keeps a running greylited on its old rules. */
    public List<Problem> errors() {
        return problems.stream().filter(Problem::malformed).toList();
    }

    @Override
    public Optional<AccessRule> lookup(InetAddress client) {
        Net address = net(unmapped(client));
        for (int length : address.v6() ? v6Lengths : v4Lengths) {
            AccessRule rule = rules.get(new Net(address.v6(), address.hi(), address.lo(), length).masked());
            if (rule != null) {
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return fileName + " (" + ruleCount + " rules, " + problems.size() + " problems)";
    }

    // ---------------------------------------------------------------- parsing

    /** A line that cannot be loaded; the message says why. */
    private static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        /** False for a rule tcprules accepts but greylited cannot use. */
        final boolean malformed;

        Rejected(String message) {
            this(message, true);
        }

        Rejected(String message, boolean malformed) {
            super(message);
            this.malformed = malformed;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static String stripTrailingBlanks(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }

    /** The colon that ends the address: the first one followed by {@code allow} or {@code deny}, as tcprules reads it. */
    private static int instructionColon(String text) throws Rejected {
        int from = 0;
        while (true) {
            int colon = text.indexOf(':', from);
            if (colon < 0) {
                throw new Rejected("no ':allow' or ':deny' after the address");
            }
            if (text.startsWith("allow", colon + 1) || text.startsWith("deny", colon + 1)) {
                return colon;
            }
            from = colon + 1;
        }
    }

    private static AccessRule instructions(String file, int line, String text, String instructions) throws Rejected {
        boolean allow = instructions.startsWith("allow");
        int i = allow ? 5 : 4;
        Map<String, String> variables = new LinkedHashMap<>();
        while (i < instructions.length()) {
            if (instructions.charAt(i) != ',') {
                throw new Rejected("expected ',NAME=\"VALUE\"' after '" + instructions.substring(0, i) + "', found '"
                        + instructions.substring(i) + "'");
            }
            int equals = instructions.indexOf('=', i);
            if (equals < 0) {
                throw new Rejected("variable without '=' in '" + instructions.substring(i) + "'");
            }
            String name = instructions.substring(i + 1, equals);
            if (name.isEmpty()) {
                throw new Rejected("variable without a name in '" + instructions.substring(i) + "'");
            }
            if (equals + 1 >= instructions.length()) {
                throw new Rejected("variable " + name + " has no quoted value (write " + name + "=\"\" for an empty one)");
            }
            char quote = instructions.charAt(equals + 1);
            int close = instructions.indexOf(quote, equals + 2);
            if (close < 0) {
                throw new Rejected("the value of " + name + " has no closing " + quote);
            }
            variables.putIfAbsent(name, instructions.substring(equals + 2, close));
            i = close + 1;
        }
        return new AccessRule(file, line, text, allow, variables);
    }

    /** The networks an address field stands for. */
    private static List<Net> addresses(String address) throws Rejected {
        if (address.isEmpty()) {
            return List.of(new Net(false, 0, 0, 0), new Net(true, 0, 0, 0));
        }
        if (address.startsWith("=")) {
            throw new Rejected("host-name rules ('" + address + "') are not supported: access is decided before the"
                    + " PTR name is known", false);
        }
        if (address.indexOf('@') >= 0) {
            throw new Rejected("ident rules ('" + address + "') are not supported", false);
        }
        int slash = address.indexOf('/');
        if (address.indexOf(':') >= 0 || slash >= 0) {
            return List.of(cidr(address, slash));
        }
        return dotted(address);
    }

    /** tcprules' IPv4 forms: {@code 1.2.3.4}, {@code 1.2.3.}, with at most one range {@code A-B} in a component. */
    private static List<Net> dotted(String address) throws Rejected {
        boolean prefix = address.endsWith(".");
        String[] parts = (prefix ? address.substring(0, address.length() - 1) : address).split("\\.", -1);
        if (prefix ? parts.length > 3 : parts.length != 4) {
            throw new Rejected(prefix
                    ? "'" + address + "' has four components and a final dot: it would never match"
                    : "'" + address + "' is neither an IPv4 address nor a prefix ending with a dot (e.g. '1.2.3.')");
        }
        int rangeAt = -1;
        int bottom = 0;
        int top = 0;
        long fixed = 0;
        for (int p = 0; p < parts.length; p++) {
            String part = parts[p];
            int dash = part.indexOf('-');
            if (dash >= 0) {
                if (rangeAt >= 0) {
                    throw new Rejected("'" + address + "' has more than one range");
                }
                rangeAt = p;
                bottom = octet(part.substring(0, dash), address);
                top = octet(part.substring(dash + 1), address);
                if (bottom > top) {
                    throw new Rejected("the range " + part + " in '" + address + "' is empty");
                }
            } else {
                fixed |= (long) octet(part, address) << (24 - 8 * p);
            }
        }
        int length = 8 * parts.length;
        if (rangeAt < 0) {
            return List.of(new Net(false, 0, fixed, length));
        }
        List<Net> nets = new ArrayList<>(top - bottom + 1);
        for (int v = bottom; v <= top; v++) {
            nets.add(new Net(false, 0, fixed | (long) v << (24 - 8 * rangeAt), length));
        }
        return nets;
    }

    private static int octet(String text, String address) throws Rejected {
        if (!OCTET.matcher(text).matches() || Integer.parseInt(text) > 255) {
            throw new Rejected("'" + text + "' in '" + address + "' is not a number from 0 to 255 (without leading zeros)");
        }
        return Integer.parseInt(text);
    }

    /** The extension: an IPv6 address, or CIDR ({@code ADDRESS/LENGTH}) for either family. */
    private static Net cidr(String text, int slash) throws Rejected {
        String addressText = slash >= 0 ? text.substring(0, slash) : text;
        InetAddress address = literal(addressText);
        if (address == null) {
            throw new Rejected("'" + addressText + "' is not an IP address");
        }
        boolean mapped = address instanceof Inet4Address && addressText.indexOf(':') >= 0;
        int max = address instanceof Inet4Address ? 32 : 128;
        int length = max;
        if (slash >= 0) {
            String n = text.substring(slash + 1);
            if (!n.matches("[0-9]{1,3}")) {
                throw new Rejected("bad prefix length in '" + text + "'");
            }
            length = Integer.parseInt(n) - (mapped ? 96 : 0);
            if (length < 0 || length > max) {
                throw new Rejected("prefix length out of range in '" + text + "'");
            }
        }
        Net net = net(address);
        return new Net(net.v6(), net.hi(), net.lo(), length).masked();
    }

    /** An IP literal, never a DNS lookup: text that is not a literal gives null. */
    private static InetAddress literal(String text) {
        boolean v4 = text.indexOf(':') < 0;
        if (v4) {
            String[] parts = text.split("\\.", -1);
            if (parts.length != 4) {
                return null;
            }
            for (String part : parts) {
                if (!OCTET.matcher(part).matches() || Integer.parseInt(part) > 255) {
                    return null;
                }
            }
        } else if (!IPV6_TEXT.matcher(text).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** An IPv4-mapped IPv6 address as the IPv4 address it carries (tcpserver compares those as IPv4 too). */
    static InetAddress unmapped(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return a;
                }
            }
            if (b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return a;
    }

    private static Net net(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return new Net(false, 0, ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL), 32);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xffL);
            lo = (lo << 8) | (b[i + 8] & 0xffL);
        }
        return new Net(true, hi, lo, 128);
    }
}
