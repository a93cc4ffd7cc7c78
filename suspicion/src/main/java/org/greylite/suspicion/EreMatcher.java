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
    private final CaseFolding folding;
    private final Pattern pattern;
    private final String required;
    private final PosixEre.Shape shape;

    private EreMatcher(String source, CaseFolding folding, PosixEre.Translation translation) {
        this.source = source;
        this.folding = folding;
        this.pattern = Pattern.compile(translation.javaRegex(), PosixEre.flags(folding));
        if (folding == CaseFolding.LETTERS && !isAscii(translation.requiredLiteral())) {
            // java.util.regex folds a lone letter without a case of its own (ß) exactly, and one of a literal run
            // by its case mapping, and leaves characters outside the BMP to code points: the literal shortcuts
            // would not say what the pattern says. Rare in rules; the pattern alone decides them.
            this.required = "";
            this.shape = PosixEre.Shape.GENERAL;
        } else {
            this.required = translation.requiredLiteral();
            this.shape = translation.shape();
        }
    }

    /**
     * @throws PatternSyntaxException when {@code ere} is not a valid extended regular expression
     */
    static EreMatcher compile(String ere, CaseFolding folding) {
        return new EreMatcher(ere, folding, PosixEre.parse(ere));
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
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
        if (!folding.ignoresCase()) {
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
        if (!folding.ignoresCase()) {
            return text.startsWith(literal, offset);
        }
        for (int i = 0; i < literal.length(); i++) {
            if (fold(text.charAt(offset + i)) != fold(literal.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * A character's case folded as the pattern folds it: ASCII letters alone, or (the literal then all ASCII, see
     * the constructor) as java.util.regex folds under UNICODE_CASE, where the Kelvin sign is a k and the long s an s.
     */
    private char fold(char c) {
        if (c < 0x80) {
            return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
        }
        return folding == CaseFolding.LETTERS ? Character.toLowerCase(Character.toUpperCase(c)) : c;
    }

    @Override
    public String toString() {
        return source;
    }
}
