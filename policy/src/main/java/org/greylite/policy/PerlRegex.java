package org.greylite.policy;

import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A Perl regular expression, as postgrey compiles the {@code /regex/} lines of its whitelists ({@code qr{...}i}),
 * made into a Java {@link Pattern} that matches what Perl's matches. The two engines read most expressions alike;
 * where they do not, Java would not refuse the expression but silently match something else, and a whitelist line
 * copied from postgrey would stop whitelisting without a word. Those places are all inside bracket expressions:
 * <ul>
 * <li>a POSIX class, {@code [[:digit:]]}, {@code [[:^space:]]}: Java has none and reads {@code [:digit:]} as a
 *     nested class of the characters {@code : d i g t}; it becomes Java's {@code \p{Digit}}, {@code \P{Space}};</li>
 * <li>a {@code [} in a class ({@code [a[]}): a literal in Perl, the start of a nested class (a union) in Java;</li>
 * <li>{@code &&} in a class: two literal ampersands in Perl, an intersection in Java.</li>
 * </ul>
 * The rest is passed on as it is; an expression Java cannot read still fails with its {@link PatternSyntaxException}.
 */
final class PerlRegex {

    /** Perl's POSIX class names and Java's property for each, ASCII-only as Perl's are on postgrey's byte strings. */
    private static final Map<String, String> POSIX_CLASSES = Map.ofEntries(
            Map.entry("alpha", "Alpha"), Map.entry("digit", "Digit"), Map.entry("alnum", "Alnum"),
            Map.entry("upper", "Upper"), Map.entry("lower", "Lower"), Map.entry("space", "Space"),
            Map.entry("punct", "Punct"), Map.entry("print", "Print"), Map.entry("graph", "Graph"),
            Map.entry("cntrl", "Cntrl"), Map.entry("xdigit", "XDigit"), Map.entry("blank", "Blank"),
            Map.entry("ascii", "ASCII"));

    private PerlRegex() {
    }

    /**
     * Compiles {@code perl} case-insensitively, as postgrey's {@code qr{...}i}.
     *
     * @throws PatternSyntaxException for an expression that cannot be read, or a POSIX class Perl does not know
     */
    static Pattern compileIgnoringCase(String perl) {
        return Pattern.compile(toJava(perl), Pattern.CASE_INSENSITIVE);
    }

    /** The Java expression that matches what {@code perl} matches in Perl. */
    static String toJava(String perl) {
        StringBuilder java = new StringBuilder(perl.length() + 16);
        int i = 0;
        while (i < perl.length()) {
            char c = perl.charAt(i);
            if (c == '\\' && i + 1 < perl.length()) {
                java.append(c).append(perl.charAt(i + 1));
                i += 2;
            } else if (c == '[') {
                i = bracketExpression(perl, i, java);
            } else {
                java.append(c);
                i++;
            }
        }
        return java.toString();
    }

    /**
     * Copies the bracket expression that opens at {@code start}, rewritten for Java; returns the index after its
     * {@code ]} (or the end, for one left open: Java then says what is wrong with it).
     */
    private static int bracketExpression(String perl, int start, StringBuilder java) {
        int i = start + 1;
        java.append('[');
        if (i < perl.length() && perl.charAt(i) == '^') {
            java.append('^');
            i++;
        }
        if (i < perl.length() && perl.charAt(i) == ']') { // first, a ] is a member, in both engines
            java.append("\\]");
            i++;
        }
        while (i < perl.length()) {
            char c = perl.charAt(i);
            if (c == ']') {
                java.append(']');
                return i + 1;
            }
            if (c == '\\' && i + 1 < perl.length()) {
                java.append(c).append(perl.charAt(i + 1));
                i += 2;
            } else if (c == '[' && i + 1 < perl.length() && perl.charAt(i + 1) == ':') {
                int end = perl.indexOf(":]", i + 2);
                if (end < 0) {
                    java.append("\\[");
                    i++;
                } else {
                    java.append(posixClass(perl, i, perl.substring(i + 2, end)));
                    i = end + 2;
                }
            } else if (c == '[' || c == '&') {
                java.append('\\').append(c); // literals in Perl; a nested class or an intersection in Java
                i++;
            } else {
                java.append(c);
                i++;
            }
        }
        return i;
    }

    private static String posixClass(String perl, int at, String name) {
        boolean negated = name.startsWith("^");
        String bare = negated ? name.substring(1) : name;
        if (bare.equals("word")) {
            return negated ? "\\W" : "\\w";
        }
        String property = POSIX_CLASSES.get(bare);
        if (property == null) {
            throw new PatternSyntaxException("POSIX class [:" + name + ":] unknown", perl, at);
        }
        return (negated ? "\\P{" : "\\p{") + property + "}";
    }
}
