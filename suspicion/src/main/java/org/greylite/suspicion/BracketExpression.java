package org.greylite.suspicion;

import java.util.Map;
import java.util.regex.PatternSyntaxException;

/**
 * A POSIX bracket expression ({@code [a-z]}, {@code [^]x]}, {@code [[:digit:].-]}) read from an ERE and
 * written as a Java character class. Apart from {@link PosixEre}'s translator because inside brackets the
 * language is another one: no character is special but {@code ]}, {@code -}, {@code ^} and the
 * {@code [: :]}, {@code [= =]}, {@code [. .]} items, and Java's own escapes, {@code &&} and nested classes
 * must come out as literals.
 *
 * @param javaClass  the Java character class
 * @param singleChar the character when the expression stands for exactly one (such as {@code [.]}), so the
 *                   translator can count it as a literal; -1 otherwise
 * @param end        the index in the ERE just after the closing {@code ]}
 */
record BracketExpression(String javaClass, int singleChar, int end) {

    private static final Map<String, String> CLASSES = Map.ofEntries(
            Map.entry("alpha", "\\p{Alpha}"),
            Map.entry("digit", "\\p{Digit}"),
            Map.entry("alnum", "\\p{Alnum}"),
            Map.entry("upper", "\\p{Upper}"),
            Map.entry("lower", "\\p{Lower}"),
            Map.entry("space", "\\p{Space}"),
            Map.entry("blank", "\\p{Blank}"),
            Map.entry("punct", "\\p{Punct}"),
            Map.entry("print", "\\p{Print}"),
            Map.entry("graph", "\\p{Graph}"),
            Map.entry("cntrl", "\\p{Cntrl}"),
            Map.entry("xdigit", "\\p{XDigit}"));

    /**
     * Reads the bracket expression whose {@code [} is at {@code open} in {@code ere}.
     *
     * @throws PatternSyntaxException for an unmatched {@code [}, an unknown class, a range running backwards
     */
    static BracketExpression parse(String ere, int open) {
        return new Reader(ere, open).read();
    }

    /** Appends a character so that Java reads it literally, inside or outside a character class. */
    static void appendClassChar(StringBuilder out, int c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            out.append((char) c);
        } else if (c > ' ' && c < 0x7f) {
            out.append('\\').append((char) c); // Java allows a backslash before any non-letter
        } else {
            out.append("\\x{").append(Integer.toHexString(c)).append('}');
        }
    }

    private static String printable(int c) {
        return c > ' ' && c < 0x7f ? String.valueOf((char) c) : String.format("\\x{%x}", c);
    }

    /** The reading position over the ERE. */
    private static final class Reader {
        private final String ere;
        private int pos;

        Reader(String ere, int pos) {
            this.ere = ere;
            this.pos = pos;
        }

        /** Reads the expression from pos, which is at its '['. */
        private BracketExpression read() {
            int open = pos;
            pos++;
            boolean negated = pos < ere.length() && ere.charAt(pos) == '^';
            if (negated) {
                pos++;
            }
            StringBuilder cls = new StringBuilder("[");
            if (negated) {
                cls.append('^');
            }
            int singleChar = -1;
            int items = 0;
            boolean first = true;
            while (true) {
                if (pos >= ere.length()) {
                    throw error("unmatched [", open);
                }
                int c = ere.codePointAt(pos);
                if (c == ']' && !first) {
                    pos++;
                    break;
                }
                first = false;
                int startChar;
                if (c == '[' && pos + 1 < ere.length() && ":=.".indexOf(ere.charAt(pos + 1)) >= 0) {
                    char kind = ere.charAt(pos + 1);
                    int itemPos = pos;
                    String name = bracketName(kind);
                    if (kind == ':') {
                        String javaClass = CLASSES.get(name);
                        if (javaClass == null) {
                            throw error("unknown character class [:" + name + ":]", itemPos);
                        }
                        if (rangeFollows()) {
                            throw error("a character class cannot start a range", itemPos);
                        }
                        cls.append(javaClass);
                        items += 2; // never a single character
                        continue;
                    }
                    startChar = singleCodePoint(name, kind, itemPos);
                    if (kind == '=' && rangeFollows()) {
                        throw error("an equivalence class cannot start a range", itemPos);
                    }
                } else {
                    startChar = c;
                    pos += Character.charCount(c);
                }
                if (rangeFollows()) {
                    int rangePos = pos;
                    pos++; // the '-'
                    int endChar = rangeEnd(rangePos);
                    if (endChar < startChar) {
                        throw error("invalid range " + printable(startChar) + "-" + printable(endChar)
                                + ": the end comes before the start", rangePos);
                    }
                    if (rangeFollows()) {
                        throw error("a range cannot start where another ends", pos);
                    }
                    appendClassChar(cls, startChar);
                    cls.append('-');
                    appendClassChar(cls, endChar);
                    items += startChar == endChar ? 1 : 2;
                    singleChar = startChar;
                } else {
                    appendClassChar(cls, startChar);
                    items++;
                    singleChar = startChar;
                }
            }
            cls.append(']');
            return new BracketExpression(cls.toString(), !negated && items == 1 ? singleChar : -1, pos);
        }

        /** Reads the name of {@code [:name:]}, {@code [=c=]} or {@code [.c.]} at pos and moves past it. */
        private String bracketName(char kind) {
            int start = pos;
            int end = ere.indexOf(kind + "]", pos + 2);
            if (end < 0) {
                throw error("unterminated [" + kind + " in bracket expression", start);
            }
            pos = end + 2;
            return ere.substring(start + 2, end);
        }

        private int singleCodePoint(String name, char kind, int at) {
            if (name.isEmpty() || name.codePointCount(0, name.length()) != 1) {
                throw error((kind == '.' ? "unknown collating element [." : "unknown equivalence class [=")
                        + name + kind + "] (only single characters are supported)", at);
            }
            return name.codePointAt(0);
        }

        private int rangeEnd(int rangePos) {
            if (pos >= ere.length()) {
                throw error("unmatched [", rangePos);
            }
            int c = ere.codePointAt(pos);
            if (c == '[' && pos + 1 < ere.length() && ere.charAt(pos + 1) == '.') {
                int at = pos;
                return singleCodePoint(bracketName('.'), '.', at);
            }
            if (c == '[' && pos + 1 < ere.length() && (ere.charAt(pos + 1) == ':' || ere.charAt(pos + 1) == '=')) {
                throw error("a range cannot end with a class", pos);
            }
            pos += Character.charCount(c);
            return c;
        }

        /** A '-' at pos starts a range unless it is the last character before ']'. */
        private boolean rangeFollows() {
            return pos + 1 < ere.length() && ere.charAt(pos) == '-' && ere.charAt(pos + 1) != ']';
        }

        private PatternSyntaxException error(String description, int index) {
            return new PatternSyntaxException(description, ere, index);
        }
    }
}
