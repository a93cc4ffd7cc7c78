package org.greylite.suspicion;

/**
 * The backslash escapes glibc's {@code regcomp(REG_EXTENDED)} gives a meaning (GNU extensions; POSIX leaves a
 * backslash before an ordinary character undefined), written as Java expressions.
 *
 * <p>greylite 2.3 ran on glibc, so suspicion files written for it use them: {@code r \<dsl\>},
 * {@code r ^\w+\.pool\.}. Read as quoted letters, as they once were here, {@code \<dsl\>} looked for the text
 * {@code <dsl>}, which no host name holds: the line loaded cleanly and never matched, and the dynamic clients it
 * was written for went through plain greylisting onto the auto-whitelist. A word character is what glibc's is in
 * the C locale: an ASCII letter, digit or underscore. Other letters ({@code \d}, {@code \n}) keep glibc's reading,
 * the letter itself.
 *
 * @param java   the equivalent Java expression
 * @param anchor whether it matches a position, not a character: glibc refuses a repetition of it
 */
record GnuEscape(String java, boolean anchor) {

    private static final String WORD = "[_\\p{Alnum}]";

    /** The escape {@code \c}, or null when glibc reads {@code c} as itself (back-references aside). */
    static GnuEscape of(int c) {
        return switch (c) {
            case 'w' -> new GnuEscape(WORD, false);
            case 'W' -> new GnuEscape("[^_\\p{Alnum}]", false);
            case 's' -> new GnuEscape("\\p{Space}", false);
            case 'S' -> new GnuEscape("\\P{Space}", false);
            case '<' -> new GnuEscape("(?<!" + WORD + ")(?=" + WORD + ")", true);
            case '>' -> new GnuEscape("(?<=" + WORD + ")(?!" + WORD + ")", true);
            case 'b' -> new GnuEscape("(?:(?<!" + WORD + ")(?=" + WORD + ")|(?<=" + WORD + ")(?!" + WORD + "))", true);
            case 'B' -> new GnuEscape("(?:(?<!" + WORD + ")(?!" + WORD + ")|(?<=" + WORD + ")(?=" + WORD + "))", true);
            case '`' -> new GnuEscape("\\A", true);
            case '\'' -> new GnuEscape("\\z", true);
            default -> null;
        };
    }
}
