package org.greylite.connect;

import java.io.IOException;
import java.net.InetAddress;
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

import org.greylite.net.AddressText;

/**
 * A parsed access file: the text format of tcprules(1), which an existing qmail installation already has
 * (typically {@code /etc/tcp.smtp}), read directly instead of compiled to a cdb. Immutable and
 * thread-safe; {@link #lookup} is a few hash look-ups.
 *
 * <h2>The format</h2>
 * One rule per line, {@code ADDRESS:INSTRUCTIONS}, no extra spaces; blank lines and lines starting with
 * {@code #} are ignored, trailing blanks are dropped. INSTRUCTIONS is {@code allow} or {@code deny}, then
 * any number of {@code ,NAME="VALUE"} (the quotes may be any character repeated: {@code ,NAME=/VALUE/}); a
 * NAME given twice has its last VALUE, as in tcpserver's environment.
 * ADDRESS is one of:
 * <ul>
 *   <li>{@code 1.2.3.4}: that IPv4 address;</li>
 *   <li>{@code 1.2.3.}, {@code 1.2.}, {@code 1.}: every address starting so (a /24, /16, /8);</li>
 *   <li>{@code 1.2.3.37-53}, {@code 10.2-3.}: a range in one component, short for one rule per value;</li>
 *   <li>the empty address: every client;</li>
 *   <li>as the IPv6 tcpserver (Debian's ucspi-tcp-ipv6) reads them: an IPv6 address ({@code 2001:db8::25}), a
 *       prefix of whole groups ending with a colon ({@code 2001:db8:1:}, the /48), and a prefix with {@code ::} in
 *       it ending with a colon ({@code 2001:db8::}), which covers the addresses whose text begins so, as that
 *       tcpserver compares it ({@link AccessAddresses#textPrefix});</li>
 *   <li>beyond tcprules: CIDR for either family
 *       ({@code 2001:db8::/32}, {@code 192.0.2.0/24}).</li>
 * </ul>
 *
 * <h2>Which rule applies</h2>
 * The most specific, as in tcpserver: the rule with the longest prefix containing the client's address
 * (an exact address before {@code 1.2.3.}, before {@code 1.2.}, before {@code 1.}, before the empty
 * address), whatever the order of the lines. A text prefix with {@code ::} comes right after the exact address,
 * longest first: in tcpserver it is a longer beginning of the client's text than any of its whole groups. Among rules for the very same address or network the first
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

    private final String fileName;
    private final int ruleCount;
    private final List<Problem> problems;
    /** Rules by masked network; prefix lengths present, longest first, per family. */
    private final Map<AccessNet, AccessRule> rules;
    private final int[] v4Lengths;
    private final int[] v6Lengths;
    /** IPv6 text prefixes with {@code ::} in them ({@link AccessAddresses#textPrefix}), by their text. */
    private final Map<String, AccessRule> textPrefixes;

    private AccessRules(String fileName, int ruleCount, List<Problem> problems, Map<AccessNet, AccessRule> rules,
                        Map<String, AccessRule> textPrefixes) {
        this.fileName = fileName;
        this.ruleCount = ruleCount;
        this.problems = List.copyOf(problems);
        this.rules = Map.copyOf(rules);
        this.textPrefixes = Map.copyOf(textPrefixes);
        this.v4Lengths = lengths(rules, false);
        this.v6Lengths = lengths(rules, true);
    }

    private static int[] lengths(Map<AccessNet, AccessRule> rules, boolean v6) {
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
        Map<AccessNet, AccessRule> rules = new HashMap<>();
        Map<AccessNet, Integer> firstLine = new HashMap<>();
        Map<String, AccessRule> textPrefixes = new HashMap<>();
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
                String textPrefix = AccessAddresses.textPrefix(text.substring(0, colon));
                if (textPrefix != null) {
                    AccessRule rule = instructions(fileName, number, text, text.substring(colon + 1));
                    AccessRule earlier = textPrefixes.putIfAbsent(textPrefix, rule);
                    if (earlier == null) {
                        loaded++;
                    } else {
                        problems.add(new Problem(fileName, number, text, "the same address as line " + earlier.line()
                                + ", which comes first; line never used", false));
                    }
                    continue;
                }
                List<AccessNet> nets = AccessAddresses.parse(text.substring(0, colon));
                AccessRule rule = instructions(fileName, number, text, text.substring(colon + 1));
                boolean used = false;
                int shadowedBy = 0;
                for (AccessNet net : nets) {
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
            } catch (RejectedLine e) {
                problems.add(new Problem(fileName, number, text, e.getMessage() + "; line ignored", e.malformed));
            }
        }
        return new AccessRules(fileName, loaded, problems, rules, textPrefixes);
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
        AccessNet address = AccessNet.of(client);
        boolean textPrefixesTried = !address.v6() || textPrefixes.isEmpty();
        for (int length : address.v6() ? v6Lengths : v4Lengths) {
            if (!textPrefixesTried && length < 128) {
                textPrefixesTried = true;
                Optional<AccessRule> byText = byTextPrefix(client);
                if (byText.isPresent()) {
                    return byText;
                }
            }
            AccessRule rule = rules.get(address.prefix(length));
            if (rule != null) {
                return Optional.of(rule);
            }
        }
        return textPrefixesTried ? Optional.empty() : byTextPrefix(client);
    }

    /**
     * The rule of the longest text prefix the client's address begins with, as tcpserver looks it up: each beginning
     * of the address's text (RFC 5952's, TCPREMOTEIP's) that ends with a colon, from the longest.
     */
    private Optional<AccessRule> byTextPrefix(InetAddress client) {
        String text = AddressText.of(client.getAddress()); // without a link-local zone, as no rule is written with one
        for (int end = text.length(); end > 0; end--) {
            if (text.charAt(end - 1) == ':') {
                AccessRule rule = textPrefixes.get(text.substring(0, end));
                if (rule != null) {
                    return Optional.of(rule);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return fileName + " (" + ruleCount + " rules, " + problems.size() + " problems)";
    }

    // ---------------------------------------------------------------- parsing

    private static String stripTrailingBlanks(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }

    /** The colon that ends the address: the first one followed by {@code allow} or {@code deny}, as tcprules reads it. */
    private static int instructionColon(String text) throws RejectedLine {
        int from = 0;
        while (true) {
            int colon = text.indexOf(':', from);
            if (colon < 0) {
                throw new RejectedLine("no ':allow' or ':deny' after the address");
            }
            if (text.startsWith("allow", colon + 1) || text.startsWith("deny", colon + 1)) {
                return colon;
            }
            from = colon + 1;
        }
    }

    private static AccessRule instructions(String file, int line, String text, String instructions) throws RejectedLine {
        boolean allow = instructions.startsWith("allow");
        int i = allow ? 5 : 4;
        Map<String, String> variables = new LinkedHashMap<>();
        while (i < instructions.length()) {
            if (instructions.charAt(i) != ',') {
                throw new RejectedLine("expected ',NAME=\"VALUE\"' after '" + instructions.substring(0, i) + "', found '"
                        + instructions.substring(i) + "'");
            }
            int equals = instructions.indexOf('=', i);
            if (equals < 0) {
                throw new RejectedLine("variable without '=' in '" + instructions.substring(i) + "'");
            }
            String name = instructions.substring(i + 1, equals);
            if (equals + 1 >= instructions.length()) {
                throw new RejectedLine("variable " + name + " has no quoted value (write " + name + "=\"\" for an empty one)");
            }
            char quote = instructions.charAt(equals + 1);
            int close = instructions.indexOf(quote, equals + 2);
            if (close < 0) {
                throw new RejectedLine("the value of " + name + " has no closing " + quote);
            }
            // A name given twice keeps its last value: tcpserver sets the variables in order, each replacing
            // one of the same name, and the file must mean here what it means to tcpserver.
            // A variable without a name (,="x") sets nothing; tcprules takes such a line, and tcpserver still
            // allows or denies by it, so it is no reason to drop the rule (a dropped deny let the client in).
            if (!name.isEmpty()) {
                variables.remove(name);
                variables.put(name, instructions.substring(equals + 2, close));
            }
            i = close + 1;
        }
        return new AccessRule(file, line, text, allow, variables);
    }
}
