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

    /**
     * The expression could not be searched for in this text: Java's engine recurses once per repetition of a group,
     * and a long text ({@code h:^([a-z0-9-]+\.)+[a-z]+$} against a HELO of 2,000 labels, which a client may send
     * within the line limit) runs it out of stack. The line cannot be evaluated for that client. Let through, the
     * error ended the decision's task unanswered: the client's RCPT hung, and nothing was logged.
     */
    static final class TextTooLong extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TextTooLong(int length) {
            super("the expression cannot be searched for in this text of " + length
                    + " characters: the regular expression engine ran out of stack", null, false, false);
        }
    }

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

    /** Text every match contains (empty when none is known). */
    String requiredLiteral() {
        return required;
    }

    /** The expression as written in the suspicion file. */
    String source() {
        return source;
    }

    /**
     * Whether the expression matches anywhere in {@code text}.
     *
     * @throws TextTooLong when the engine runs out of stack on {@code text}
     */
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
                try {
                    return pattern.matcher(text).find();
                } catch (StackOverflowError e) {
                    throw new TextTooLong(text.length());
                }
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

    /** Compares as the compiled pattern does: exactly, or folding case as {@link PosixEre#flags} asks. */
    private boolean regionMatches(String text, int offset, String literal) {
        if (offset < 0 || offset + literal.length() > text.length()) {
            return false;
        }
        if (!ignoreCase) {
            return text.startsWith(literal, offset);
        }
        for (int i = 0; i < literal.length(); i++) {
            if (fold(text.charAt(offset + i)) != fold(literal.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** A character's case folded as java.util.regex folds it under UNICODE_CASE; ASCII without a table lookup. */
    private static char fold(char c) {
        if (c < 0x80) {
            return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
        }
        return Character.toLowerCase(Character.toUpperCase(c));
    }

    @Override
    public String toString() {
        return source;
    }
}
