package org.greylite.suspicion;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A compiled extended regular expression, searched for in a string as {@code regexec} does.
 *
 * <p>Most suspicion lines do not match most clients, and most expressions people write contain a plain
 * word ({@code dsl}, {@code .dyn.}, {@code \.google\.com$}). So before running the regular expression the
 * matcher looks for the text every match must contain, with a plain string search; and an expression that
 * is nothing but (possibly anchored) literal text never runs as a regular expression at all. This keeps a
 * file of a few hundred lines within microseconds per client.
 */
final class EreMatcher {

    private final String source;
    private final boolean ignoreCase;
    private final Pattern pattern;
    private final String required;
    private final PosixEre.Shape shape;

    private EreMatcher(String source, boolean ignoreCase, PosixEre.Translation translation) {
        this.source = source;
        this.ignoreCase = ignoreCase;
        this.pattern = Pattern.compile(translation.javaRegex(), PosixEre.flags(ignoreCase));
        this.required = translation.requiredLiteral();
        this.shape = translation.shape();
    }

    /**
     * @throws PatternSyntaxException when {@code ere} is not a valid extended regular expression
     */
    static EreMatcher compile(String ere, boolean ignoreCase) {
        return new EreMatcher(ere, ignoreCase, PosixEre.parse(ere));
    }

    /** The expression as written in the suspicion file. */
    String source() {
        return source;
    }

    /** Whether the expression matches anywhere in {@code text}. */
    boolean find(String text) {
        switch (shape) {
            case LITERAL:
                return indexOf(text, required, 0) >= 0;
            case PREFIX:
                return regionMatches(text, 0, required);
            case SUFFIX:
                return text.length() >= required.length()
                        && regionMatches(text, text.length() - required.length(), required);
            case WHOLE:
                return text.length() == required.length() && regionMatches(text, 0, required);
            default:
                if (!required.isEmpty() && indexOf(text, required, 0) < 0) {
                    return false;
                }
                return pattern.matcher(text).find();
        }
    }

    private int indexOf(String text, String literal, int from) {
        if (!ignoreCase) {
            return text.indexOf(literal, from);
        }
        int last = text.length() - literal.length();
        for (int i = from; i <= last; i++) {
            if (regionMatches(text, i, literal)) {
                return i;
            }
        }
        return -1;
    }

    /** Compares as the compiled pattern does: exactly, or folding ASCII letters only (the C locale). */
    private boolean regionMatches(String text, int offset, String literal) {
        if (offset < 0 || offset + literal.length() > text.length()) {
            return false;
        }
        if (!ignoreCase) {
            return text.startsWith(literal, offset);
        }
        for (int i = 0; i < literal.length(); i++) {
            if (foldAscii(text.charAt(offset + i)) != foldAscii(literal.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static char foldAscii(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
    }

    @Override
    public String toString() {
        return source;
    }
}
