package org.greylite.suspicion;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Reads one line of a suspicion file: {@code NUMBER KIND [!] RULE}.
 *
 * <p>Fields are separated by spaces or tabs. Blank lines and lines whose first non-blank character is
 * {@code #} are comments; there are no comments at the end of a rule line (a {@code #} may belong to a
 * regular expression). The {@code !} may stand apart or touch the rule ({@code g !IT}): no rule of any
 * kind can start with a meaningful {@code !}, since host names, variable names, patterns, country codes
 * and keywords never do. An {@code r} line's expression is the rest of the line, inner spaces included;
 * the other kinds take space-separated words. Trailing blanks and a CR (files edited on Windows) are
 * dropped.
 */
final class LineParser {

    /** A line that is not loaded, with the reason. */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        final boolean malformed;

        Rejected(String reason) {
            this(reason, true);
        }

        private Rejected(String reason, boolean malformed) {
            super(reason, null, false, false);
            this.malformed = malformed;
        }

        /** A line of a kind this version does not know: ignored, not malformed (SPEC §5). */
        static Rejected unknownKind(String kind) {
            return new Rejected("unknown kind '" + kind + "', line ignored", false);
        }
    }

    private final String fileName;

    LineParser(String fileName) {
        this.fileName = fileName;
    }

    /** Parses a line; returns empty for comments and blank lines; throws for lines that are not loaded. */
    Optional<SuspicionLine> parse(int lineNumber, String text) throws Rejected {
        String line = asWritten(text);
        try {
            return parseWritten(lineNumber, line);
        } catch (Rejected e) {
            // A no-break space quoted as it is looks like the blank the parser did not see.
            throw new Rejected(UnseenCharacters.reason(e.getMessage(), line), e.malformed);
        }
    }

    private Optional<SuspicionLine> parseWritten(int lineNumber, String line) throws Rejected {
        int i = skipBlanks(line, 0);
        if (i == line.length() || line.charAt(i) == '#') {
            return Optional.empty();
        }
        int numberEnd = wordEnd(line, i);
        String numberWord = line.substring(i, numberEnd);
        int number = number(numberWord);

        i = skipBlanks(line, numberEnd);
        if (i == line.length()) {
            throw new Rejected("missing kind and rule after the number, line discarded");
        }
        int kindEnd = wordEnd(line, i);
        String kind = line.substring(i, kindEnd);
        boolean negated = kind.length() == 2 && kind.charAt(1) == '!'; // "g! IT" reads as "g ! IT"
        if (negated) {
            kind = kind.substring(0, 1);
        }
        if (!(kind.length() == 1 && "rvegb".indexOf(kind.charAt(0)) >= 0)) {
            throw Rejected.unknownKind(line.substring(i, kindEnd));
        }

        String rule = line.substring(skipBlanks(line, kindEnd));
        if (!negated && rule.startsWith("!")) {
            negated = true;
            rule = rule.substring(skipBlanks(rule, 1));
        }
        if (rule.isEmpty()) {
            throw new Rejected("missing rule after '" + kind + (negated ? " !" : "") + "', line discarded");
        }
        RuleMatch source = new RuleMatch(fileName, lineNumber, line);
        try {
            return Optional.of(new SuspicionLine(source, number, negated, rule(kind.charAt(0), rule)));
        } catch (Rejected e) {
            throw commentHint(rule, e);
        }
    }

    /**
     * A word of a rule that starts with {@code #} is most likely a comment written after the rule, which the
     * language does not have: the reason says so, or the administrator hunts for a bad country code in "# Italy".
     */
    private static Rejected commentHint(String rule, Rejected e) {
        return words(rule).stream().anyMatch(w -> w.startsWith("#"))
                ? new Rejected(e.getMessage() + " (a '#' after a rule starts no comment: put comments on lines of their own)")
                : e;
    }

    private Rule rule(char kind, String rule) throws Rejected {
        return switch (kind) {
            case 'r' -> new PtrNameRule(regex(refusingComment(rule), CaseFolding.ASCII, rule));
            case 'v' -> variables(words(rule));
            case 'e' -> envelope(words(rule));
            case 'g' -> countries(words(rule));
            case 'b' -> behaviours(words(rule));
            default -> throw new IllegalStateException("kind checked above: " + kind);
        };
    }

    /**
     * An {@code r} line's expression is the rest of the line, so {@code 5 r dsl  # dial-up pools} used to load as the
     * expression {@code dsl  # dial-up pools}: no host name holds a blank, so the line silently never matched, and
     * {@code suspicion check} called the file clean. The other kinds already refuse such a word ({@link #commentHint});
     * here a blank followed by {@code #} is refused the same way. Reading it as a comment instead was rejected: the
     * language has none after a rule (greylite(8) read the whole rest of the line), and the kinds must agree.
     *
     * @return {@code ere} itself, which holds no blank followed by {@code #}
     */
    private static String refusingComment(String ere) throws Rejected {
        for (int i = 1; i < ere.length(); i++) {
            if (ere.charAt(i) == '#' && isBlank(ere.charAt(i - 1))) {
                throw new Rejected("the regular expression '" + ere + "' has a blank followed by '#', which no host"
                        + " name holds, line discarded");
            }
        }
        return ere;
    }

    private static VariableRule variables(List<String> names) throws Rejected {
        for (String name : names) {
            if (name.indexOf('=') >= 0) {
                throw new Rejected("invalid variable name '" + name + "' (write the name only, without '='), line discarded");
            }
            // Shell habits: '$BLACKLISTED' or '"BLACKLISTED"' loaded as a name no program sets, so the line never
            // matched and the file was called clean.
            // 'BLACKLISTED,RBL' loaded as one name no program sets: the line never matched, and the file was called clean.
            if (name.indexOf(',') >= 0) {
                throw new Rejected("invalid variable name '" + name + "' (separate the names with spaces, as in"
                        + " 3 v BLACKLISTED RBLSMTPD), line discarded");
            }
            if (name.startsWith("$") || name.indexOf('"') >= 0 || name.indexOf('\'') >= 0) {
                throw new Rejected("invalid variable name '" + name + "' (write the name only, without '$' or quotes, as"
                        + " in 3 v BLACKLISTED), line discarded");
            }
        }
        return new VariableRule(names);
    }

    private static EnvelopeRule envelope(List<String> items) throws Rejected {
        List<EnvelopeRule.FieldPattern> patterns = new ArrayList<>();
        for (String item : items) {
            EnvelopeRule.Field field = item.length() >= 2 && item.charAt(1) == ':'
                    ? EnvelopeRule.Field.ofPrefix(item.charAt(0)) : null;
            if (field == null) {
                throw new Rejected("pattern '" + item + "' must start with r:, s: or h:, line discarded");
            }
            String regex = item.substring(2);
            if (regex.isEmpty()) {
                throw new Rejected("empty regular expression in '" + item + "', line discarded");
            }
            // Addresses fold every script's letters, as the greydb keys them; a HELO is a host name (ASCII).
            EreMatcher matcher = regex(regex, field == EnvelopeRule.Field.HELO ? CaseFolding.ASCII : CaseFolding.LETTERS,
                    item);
            if (field != EnvelopeRule.Field.HELO) {
                refusingAngleBrackets(item, matcher);
            }
            patterns.add(new EnvelopeRule.FieldPattern(field, matcher));
        }
        return new EnvelopeRule(patterns);
    }

    /**
     * The sender and recipient are matched without their angle brackets, as SPEC §5 and greylite hand them over, so a
     * pattern that needs a {@code <} or {@code >} in every match can never match: {@code s:^<>$}, written for bounces as
     * they appear in {@code MAIL FROM:<>}, loaded cleanly and never caught one (the null sender is the empty sender,
     * {@code s:^$}). No address holds a bracket outside a quoted local part, which no rule is written for.
     */
    private static void refusingAngleBrackets(String item, EreMatcher matcher) throws Rejected {
        String required = matcher.requiredLiteral();
        if (required.indexOf('<') >= 0 || required.indexOf('>') >= 0) {
            throw new Rejected("pattern '" + item + "' needs a '<' or '>', which the " + (item.charAt(0) == 's'
                    ? "sender" : "recipient") + " never holds: addresses are matched without their angle brackets"
                    + " (the null sender is the empty sender: s:^$), line discarded");
        }
    }

    private static CountryRule countries(List<String> codes) throws Rejected {
        List<String> upper = new ArrayList<>();
        for (String code : codes) {
            if (!isCountryCode(code)) {
                throw new Rejected("bad country code '" + code + "' (two letters, such as IT or DE), line discarded");
            }
            String upperCode = code.toUpperCase(Locale.ROOT);
            Optional<String> unknown = CountryCodes.problem(upperCode);
            if (unknown.isPresent()) {
                throw new Rejected(unknown.get() + ", line discarded");
            }
            upper.add(upperCode);
        }
        return new CountryRule(upper);
    }

    /** Two letters, or a letter and a digit for the legacy pseudo-countries (A1, A2, O1). */
    private static boolean isCountryCode(String code) {
        return code.length() == 2 && isAsciiLetter(code.charAt(0))
                && (isAsciiLetter(code.charAt(1)) || (code.charAt(1) >= '0' && code.charAt(1) <= '9'));
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static BehaviourRule behaviours(List<String> keywords) throws Rejected {
        Set<Behaviour> behaviours = EnumSet.noneOf(Behaviour.class);
        for (String keyword : keywords) {
            Behaviour b = Behaviour.fromKeyword(keyword.toLowerCase(Locale.ROOT)).orElseThrow(() -> new Rejected(
                    "unknown behaviour '" + keyword + "' (greetdelay, retryinterval or commanderrors), line discarded"));
            behaviours.add(b);
        }
        return new BehaviourRule(behaviours);
    }

    private static EreMatcher regex(String ere, CaseFolding folding, String shownAs) throws Rejected {
        if (ere.length() > SuspicionFile.MAX_EXPRESSION) {
            throw new Rejected("regular expression of " + ere.length() + " characters, more than the "
                    + SuspicionFile.MAX_EXPRESSION + " a rule may have, line discarded");
        }
        try {
            return EreMatcher.compile(ere, folding);
        } catch (PatternSyntaxException e) {
            throw new Rejected("invalid regular expression '" + shownAs + "': " + e.getDescription()
                    + (e.getIndex() >= 0 ? " at offset " + e.getIndex() : "") + ", line discarded");
        } catch (StackOverflowError e) {
            // Thousands of nested groups: the parsers recurse per group. Let through, the error stopped greylitectl
            // with a stack trace, and greylited at start-up or on its reload timer.
            throw new Rejected("invalid regular expression of " + shownAs.length()
                    + " characters: groups nested too deeply, line discarded");
        }
    }

    private static int number(String word) throws Rejected {
        if (!word.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Rejected("bad number '" + word + "' (a count of refusals, 0 or more), line discarded");
        }
        if (word.length() > 10 || Long.parseLong(word) > Integer.MAX_VALUE) {
            throw new Rejected("bad number '" + word + "' (too large; 100 already means practically never), line discarded");
        }
        return Integer.parseInt(word);
    }

    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        int i = 0;
        while ((i = skipBlanks(text, i)) < text.length()) {
            int end = wordEnd(text, i);
            words.add(text.substring(i, end));
            i = end;
        }
        return words;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    private static int skipBlanks(String s, int i) {
        while (i < s.length() && isBlank(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int wordEnd(String s, int i) {
        while (i < s.length() && !isBlank(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** The line as written, less the trailing blanks and CR that editors leave. */
    static String asWritten(String s) {
        int end = s.length();
        while (end > 0 && (isBlank(s.charAt(end - 1)) || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }
}
