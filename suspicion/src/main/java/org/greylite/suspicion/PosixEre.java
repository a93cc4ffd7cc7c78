package org.greylite.suspicion;

import java.util.BitSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Translates a POSIX extended regular expression (what greylite handed to {@code regcomp} with
 * {@code REG_EXTENDED}, in the C locale) into an equivalent {@link java.util.regex.Pattern}.
 *
 * <p>The two dialects look alike but read many strings differently, so the expression is parsed as ERE
 * and rebuilt for Java, every literal escaped:
 * <ul>
 *   <li>A backslash makes the next character literal: {@code \.} is a dot, and {@code \d} or {@code \Q} are
 *       just the letters {@code d} and {@code Q}, as glibc reads them (Java's escapes mean nothing here). The
 *       GNU extensions glibc gives a meaning, which greylite 2.3 rule files written on Linux use, mean what they
 *       mean there ({@link GnuEscape}): {@code \w \W \s \S}, the word anchors {@code \b \B \< \>}, the
 *       buffer anchors {@code \` \'}, and the back-references {@code \1} to {@code \9}.</li>
 *   <li>Bracket expressions follow POSIX: a {@code ]} first (after an optional {@code ^}) is literal, a
 *       backslash inside brackets is literal, {@code -} first or last is literal, the classes
 *       {@code [:alpha:]}, {@code [:digit:]}, {@code [:alnum:]}, {@code [:upper:]}, {@code [:lower:]},
 *       {@code [:space:]}, {@code [:blank:]}, {@code [:punct:]}, {@code [:print:]}, {@code [:graph:]},
 *       {@code [:cntrl:]}, {@code [:xdigit:]} mean their C-locale (ASCII) sets, and the single-character
 *       forms {@code [=c=]} and {@code [.c.]} stand for {@code c}. Java's {@code &&}, nested classes and
 *       escapes have no meaning there.</li>
 *   <li>{@code .} matches any character, newline included; {@code $} matches only at the very end of the
 *       string (Java's {@code $} would also match before a final newline); {@code ^} only at the start.</li>
 *   <li>Stacked repetitions such as {@code a*+} or {@code a+?} repeat the repeated atom, as in POSIX
 *       engines, instead of turning into Java's possessive or reluctant quantifiers; {@code (?} is an error
 *       (a repetition with nothing before it), never a Java special group.</li>
 *   <li>A {@code )} without an opening parenthesis is an ordinary character, as POSIX specifies.</li>
 *   <li>Intervals are {@code {m}}, {@code {m,}}, {@code {m,n}}, and {@code {,n}} meaning {@code {0,n}} as in
 *       glibc.</li>
 *   <li>What POSIX leaves undefined and Java would read differently is refused with a
 *       {@link PatternSyntaxException}: a repetition with nothing to repeat ({@code *a}, {@code (+a)},
 *       {@code ^*}), a brace that does not form a valid interval (<code>a{</code>, <code>a{x}</code>), interval
 *       counts over {@value #DUP_MAX}, ranges running backwards, unknown character classes.</li>
 * </ul>
 *
 * <p>Matching is case-sensitive unless the caller asks otherwise, as {@code regcomp} without
 * {@code REG_ICASE}; ignoring case folds ASCII letters, as the C locale does, or those of every script for the
 * suspicion rules' address patterns ({@link CaseFolding}). Matching is a search
 * ({@link java.util.regex.Matcher#find()}), like {@code regexec}: the expression may match anywhere in the
 * string unless anchored.
 *
 * <p>Java's engine backtracks where a POSIX automaton would not, so a pathological expression such as
 * {@code (a*)*b} can be slow on a long string; the strings matched here are short (host names of at most
 * 253 characters, mail addresses) and the expressions the administrator's own.
 */
public final class PosixEre {

    /** The largest interval count, glibc's {@code RE_DUP_MAX} (POSIX guarantees at least 255). */
    public static final int DUP_MAX = 32767;

    private PosixEre() {
    }

    /**
     * The Java regular expression equivalent to {@code ere}, to be compiled with {@link #flags(boolean)}.
     *
     * @throws PatternSyntaxException when {@code ere} is not a valid extended regular expression
     */
    public static String translate(String ere) {
        return parse(ere).javaRegex();
    }

    /**
     * Compiles {@code ere} for searching.
     *
     * @param ignoreCase fold ASCII letters, as {@code REG_ICASE} in the C locale
     * @throws PatternSyntaxException when {@code ere} is not a valid extended regular expression
     */
    public static Pattern compile(String ere, boolean ignoreCase) {
        return Pattern.compile(translate(ere), flags(ignoreCase));
    }

    /** The flags a translated expression must be compiled with: DOTALL, and ASCII case folding if asked. */
    public static int flags(boolean ignoreCase) {
        return flags(ignoreCase ? CaseFolding.ASCII : CaseFolding.EXACT);
    }

    /** The flags for a translated expression compared with {@code folding}. */
    static int flags(CaseFolding folding) {
        return Pattern.DOTALL | folding.flags;
    }

    /** Parses and translates, also working out the literal text any match must contain. */
    static Translation parse(String ere) {
        Translator plain = new Translator(ere, false);
        Translation translation = plain.run();
        return plain.backReferences ? new Translator(ere, true).run() : translation;
    }

    /**
     * The result of a translation.
     *
     * @param javaRegex       the equivalent Java expression
     * @param requiredLiteral text that every match contains (empty when none is known): a cheap pre-test
     * @param shape           {@link Shape#LITERAL} and friends when the expression is nothing but that literal,
     *                        possibly anchored, so that no regular expression needs to run at all
     */
    record Translation(String javaRegex, String requiredLiteral, Shape shape) {
    }

    /** How a plain-literal expression is anchored; {@link #GENERAL} for everything else. */
    enum Shape {
        /** {@code abc}: contains. */
        LITERAL,
        /** {@code ^abc}: starts with. */
        PREFIX,
        /** {@code abc$}: ends with. */
        SUFFIX,
        /** {@code ^abc$}: equals. */
        WHOLE,
        /** Anything else: run the regular expression (after the required-literal pre-test). */
        GENERAL
    }

    /** Recursive-descent parser over the ERE grammar, writing the Java expression as it goes. */
    private static final class Translator {
        private final String ere;
        private final boolean capturing;
        private final StringBuilder out = new StringBuilder();
        private int pos;
        private int depth;

        // Groups capture only when a back-reference needs them: capturing costs time at every match.
        private int groups;
        private final BitSet closedGroups = new BitSet();
        private boolean backReferences;

        // Bookkeeping for the required literal, kept for top-level pieces only.
        private boolean topLevelAlternation;
        private final StringBuilder run = new StringBuilder();
        private String longestRun = "";

        // Bookkeeping for the plain-literal shapes.
        private int topLevelPieces;
        private boolean onlyLiterals = true;
        private boolean leadingCaret;
        private boolean trailingDollar;
        private final StringBuilder wholeLiteral = new StringBuilder();

        Translator(String ere, boolean capturing) {
            this.ere = ere;
            this.capturing = capturing;
        }

        Translation run() {
            alternation();
            // At depth 0 alternation() only stops at the end: a lone ')' is an ordinary character.
            commitRun();
            String required = topLevelAlternation ? "" : longestRun;
            return new Translation(out.toString(), required, shape());
        }

        private Shape shape() {
            if (topLevelAlternation || !onlyLiterals || wholeLiteral.length() == 0) {
                return Shape.GENERAL;
            }
            if (leadingCaret && trailingDollar) {
                return Shape.WHOLE;
            }
            return leadingCaret ? Shape.PREFIX : trailingDollar ? Shape.SUFFIX : Shape.LITERAL;
        }

        private void alternation() {
            branch();
            while (pos < ere.length() && ere.charAt(pos) == '|') {
                pos++;
                out.append('|');
                if (depth == 0) {
                    topLevelAlternation = true;
                }
                branch();
            }
        }

        private void branch() {
            while (pos < ere.length()) {
                char c = ere.charAt(pos);
                if (c == '|' || (c == ')' && depth > 0)) {
                    return;
                }
                piece();
            }
        }

        /** One atom and the repetitions that follow it. */
        private void piece() {
            int start = out.length();
            int atomPos = pos;
            int literal = -1;
            boolean repeatable = true;
            boolean anchor = false;
            int c = ere.codePointAt(pos);
            switch (c) {
                case '(' -> group();
                case '[' -> literal = bracket();
                case '.' -> {
                    pos++;
                    out.append('.');
                }
                case '^' -> {
                    pos++;
                    out.append('^');
                    repeatable = false;
                    anchor = true;
                }
                case '$' -> {
                    pos++;
                    out.append("\\z");
                    repeatable = false;
                    anchor = true;
                }
                case '\\' -> {
                    if (pos + 1 >= ere.length()) {
                        throw error("trailing backslash", pos);
                    }
                    pos++;
                    int escaped = ere.codePointAt(pos);
                    GnuEscape gnu = GnuEscape.of(escaped);
                    if (gnu != null) {
                        pos++;
                        out.append(gnu.java());
                        repeatable = !gnu.anchor();
                    } else if (escaped >= '1' && escaped <= '9') {
                        backReference(escaped - '0');
                    } else {
                        literal = escaped;
                        pos += Character.charCount(literal);
                        appendLiteral(out, literal);
                    }
                }
                case '*', '+', '?', '{' -> throw error("'" + (char) c + "' has nothing to repeat", pos);
                default -> {
                    literal = c;
                    pos += Character.charCount(c);
                    appendLiteral(out, literal);
                }
            }

            int repetitions = 0;
            boolean optional = false;
            while (pos < ere.length()) {
                char q = ere.charAt(pos);
                int min;
                String javaQuantifier;
                if (q == '*' || q == '+' || q == '?') {
                    if (!repeatable) {
                        throw error("'" + q + "' has nothing to repeat", pos);
                    }
                    pos++;
                    min = q == '+' ? 1 : 0;
                    javaQuantifier = String.valueOf(q);
                } else if (q == '{') {
                    if (!repeatable) {
                        throw error("'{' has nothing to repeat", pos);
                    }
                    int[] bounds = interval();
                    min = bounds[0];
                    javaQuantifier = bounds[1] == bounds[0] ? "{" + bounds[0] + "}"
                            : bounds[1] < 0 ? "{" + bounds[0] + ",}"
                            : "{" + bounds[0] + "," + bounds[1] + "}";
                } else {
                    break;
                }
                if (repetitions > 0) {
                    // a** or a+? repeat the repeated atom in POSIX; in Java they would be possessive or lazy.
                    out.insert(start, "(?:");
                    out.append(')');
                }
                out.append(javaQuantifier);
                repetitions++;
                optional |= min == 0;
            }

            if (depth == 0) {
                notePiece(atomPos, literal, anchor, repetitions, optional);
            }
        }

        private void notePiece(int atomPos, int literal, boolean anchor, int repetitions, boolean optional) {
            topLevelPieces++;
            if (literal >= 0 && repetitions == 0) {
                run.appendCodePoint(literal);
                wholeLiteral.appendCodePoint(literal);
                if (trailingDollar) {
                    onlyLiterals = false; // "a$b": text after the end anchor
                }
                return;
            }
            if (literal >= 0 && !optional) {
                run.appendCodePoint(literal); // a+ or a{2}: one 'a' is certain, what follows is not adjacent
            }
            commitRun();
            if (anchor && ere.charAt(atomPos) == '^' && topLevelPieces == 1) {
                leadingCaret = true;
            } else if (anchor && ere.charAt(atomPos) == '$' && !trailingDollar) {
                trailingDollar = true;
            } else {
                onlyLiterals = false;
            }
        }

        private void commitRun() {
            if (run.length() > longestRun.length()) {
                longestRun = run.toString();
            }
            run.setLength(0);
        }

        private void group() {
            int open = pos;
            int number = ++groups;
            pos++;
            depth++;
            out.append(capturing ? "(" : "(?:");
            alternation();
            if (pos >= ere.length()) {
                throw error("unmatched (", open);
            }
            pos++; // the ')'
            depth--;
            out.append(')');
            closedGroups.set(number);
        }

        /**
         * {@code \1} to {@code \9} at pos: the text group n matched, as glibc reads them (greylite 2.3 ran there).
         * Only one digit counts, as in glibc ({@code \10} is group 1 and a 0), so it is wrapped for Java, which would
         * read the following digit as part of the number. A group not closed before it is refused, as glibc does.
         */
        private void backReference(int n) {
            if (!closedGroups.get(n)) {
                throw error("back-reference \\" + n + " to a group that is not closed before it", pos - 1);
            }
            pos++;
            backReferences = true;
            out.append("(?:\\").append(n).append(')');
        }

        /** Parses {@code {m}}, {@code {m,}} or {@code {m,n}} at pos; returns {m, n} with n = -1 for no upper bound. */
        private int[] interval() {
            int open = pos;
            pos++;
            // {,n} is not POSIX, but glibc reads it as {0,n}, and so did greylite on Linux.
            int min = pos < ere.length() && ere.charAt(pos) == ',' ? 0 : number(open);
            int max = min;
            if (pos < ere.length() && ere.charAt(pos) == ',') {
                pos++;
                max = pos < ere.length() && isDigit(ere.charAt(pos)) ? number(open) : -1;
            }
            if (pos >= ere.length() || ere.charAt(pos) != '}' || (max < 0 && ere.charAt(open + 1) == ',')) {
                throw error("invalid interval: expected {m}, {m,}, {,n} or {m,n}", open);
            }
            pos++;
            if (min > DUP_MAX || max > DUP_MAX) {
                throw error("repetition count over " + DUP_MAX, open);
            }
            if (max >= 0 && max < min) {
                throw error("invalid interval: {" + min + "," + max + "} counts backwards", open);
            }
            return new int[] {min, max};
        }

        private int number(int open) {
            if (pos >= ere.length() || !isDigit(ere.charAt(pos))) {
                throw error("invalid interval: expected {m}, {m,}, {,n} or {m,n}", open);
            }
            int value = 0;
            while (pos < ere.length() && isDigit(ere.charAt(pos))) {
                value = Math.min(value * 10 + (ere.charAt(pos) - '0'), DUP_MAX + 1);
                pos++;
            }
            return value;
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        /**
         * Translates a bracket expression starting at pos ({@link BracketExpression}). Returns the character
         * when the bracket stands for exactly one character (such as {@code [.]}), so it can count as a
         * literal; -1 otherwise.
         */
        private int bracket() {
            BracketExpression b = BracketExpression.parse(ere, pos);
            pos = b.end();
            out.append(b.javaClass());
            return b.singleChar();
        }

        private PatternSyntaxException error(String description, int index) {
            return new PatternSyntaxException(description, ere, index);
        }
    }

    /** Appends a character so that Java reads it literally outside a character class. */
    private static void appendLiteral(StringBuilder out, int c) {
        BracketExpression.appendClassChar(out, c); // the same escaping is safe in both places
    }
}
