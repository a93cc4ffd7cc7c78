package org.greylite.suspicion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ERE translation. Expected results were checked against glibc's {@code regcomp(REG_EXTENDED)} and
 * {@code regexec} in the C locale, GNU extensions included ({@link #gnuEscapesMeanWhatGlibcReads}).
 */
class PosixEreTest {

    private static boolean finds(String ere, String text) {
        return PosixEre.compile(ere, false).matcher(text).find();
    }

    private static boolean findsIgnoringCase(String ere, String text) {
        return PosixEre.compile(ere, true).matcher(text).find();
    }

    @ParameterizedTest(name = "/{0}/ on ''{1}'' -> {2}")
    @CsvSource(delimiterString = " :: ", value = {
        // searching, not whole-string matching; anchors
        "dsl                    :: adsl-1.example.net        :: true",
        "dsl                    :: example.net               :: false",
        "^mail\\.               :: mail.example.org          :: true",
        "^mail\\.               :: xmail.example.org         :: false",
        "\\.google\\.com$       :: mail-x.google.com         :: true",
        "\\.google\\.com$       :: mail-x.google.com.evil    :: false",
        "a^b                    :: a^b                       :: false",
        "a$b                    :: a$b                       :: false",
        "(^a)                   :: a                         :: true",
        "b(^a)                  :: ba                        :: false",
        "(a$)                   :: a                         :: true",
        // brackets
        "[[:alpha:]]+           :: 123                       :: false",
        "[[:alpha:]]+           :: 12a3                      :: true",
        "[[:digit:]]{1,3}-[[:digit:]]{1,3} :: host-1-2                  :: true",
        "[]a]                   :: ]                         :: true",
        "[]a]                   :: b                         :: false",
        "[^]a]                  :: ]                         :: false",
        "[^]a]                  :: x                         :: true",
        "[\\d]                  :: \\                        :: true",
        "[\\d]                  :: d                         :: true",
        "[\\d]                  :: 5                         :: false",
        "[\\]]                  :: \\]                       :: true",
        "[\\]]                  :: ]                         :: false",
        "[--/]                  :: .                         :: true",
        "[a-]                   :: -                         :: true",
        "[-a]                   :: -                         :: true",
        "[[.a.]-c]              :: b                         :: true",
        "[[=a=]]                :: a                         :: true",
        "[a&&b]                 :: &                         :: true",
        "[a&&b]                 :: a                         :: true",
        "[[a]                   :: [                         :: true",
        "[a[]                   :: [                         :: true",
        "[[:upper:]]            :: a                         :: false",
        "[[:punct:]]            :: !                         :: true",
        "[[:blank:]]            :: ' '                       :: true",
        "[[:xdigit:]]+$         :: deadbeef                  :: true",
        "[[:cntrl:]]            :: x                         :: false",
        "[[:print:]]            :: ' '                       :: true",
        "[[:graph:]]            :: ' '                       :: false",
        "[[:lower:]]            :: Q                         :: false",
        "[[:alnum:]]            :: _                         :: false",
        // Java escapes mean nothing: a backslash makes the next character literal
        "\\d                    :: 5                         :: false",
        "\\d                    :: d                         :: true",
        "\\k                    :: k                         :: true",
        "\\.                    :: x                         :: false",
        "\\.                    :: .                         :: true",
        "\\Qa.b\\E              :: Qa.bE                     :: true",
        "\\Qa.b\\E              :: a.b                       :: false",
        "\\(                    :: (                         :: true",
        "\\)                    :: )                         :: true",
        "a\\|b                  :: a|b                       :: true",
        "a\\|b                  :: a                         :: false",
        // stacked repetitions repeat, never possessive or lazy
        "a*+                    :: aaa                       :: true",
        "a+?                    :: b                         :: true",
        "a**                    :: aaa                       :: true",
        "a{1}{2}                :: aa                        :: true",
        // intervals
        "a{2}                   :: aa                        :: true",
        "a{2}                   :: a                         :: false",
        "a{2,}                  :: aaa                       :: true",
        "a{,2}                  :: a                         :: true",
        "a{255}                 :: a                         :: false",
        // a lone ')' is ordinary; empty alternatives match the empty string
        "a)                     :: a)                        :: true",
        "()                     :: x                         :: true",
        "a||b                   :: x                         :: true",
        "a|                     :: x                         :: true",
        "^$                     :: ''                        :: true",
        "^$                     :: a                         :: false",
        // everyday rules
        "[0-9]+\\.[0-9]+\\.[0-9]+ :: a.1.2.3.b                 :: true",
        "(dsl|dyn|pool|ppp|dhcp|cable) :: x.dyn.example             :: true",
        "(dsl|dyn|pool|ppp|dhcp|cable) :: mx.example                :: false",
        "([0-9]{1,3}[.-]){3}    :: 1-2-3-4.example           :: true",
        "(ab)*c                 :: c                         :: true",
        "#                      :: #                         :: true",
        "a b                    :: a b                       :: true",
        "é                      :: café                      :: true",
        "[é]                    :: é                         :: true",
        ".                      :: é                         :: true",
    })
    void matchesLikeRegexec(String ere, String text, boolean expected) {
        assertEquals(expected, finds(ere, text), () -> ere + " -> " + PosixEre.translate(ere));
    }

    @Test
    void newlinesAreOrdinaryCharacters() {
        // no REG_NEWLINE: dot and negated brackets match a newline, and $ does not match before a final one
        assertTrue(finds("a.c", "a\nc"));
        assertTrue(finds("x[^a]y", "x\ny"));
        assertTrue(!finds("com$", "x.com\n"));
        assertTrue(!finds("^b", "a\nb"));
    }

    @ParameterizedTest(name = "/{0}/ on ''{1}'' -> {2}")
    @CsvSource(delimiterString = " :: ", value = {
        "\\bdsl\\b               :: x.dsl.example             :: true",
        "\\bdsl\\b               :: bdslb                     :: false",
        "\\bdsl                  :: adsl.example              :: false",
        "\\Bdsl                  :: adsl.example              :: true",
        "\\Bdsl                  :: x.dsl.example             :: false",
        "\\<dyn\\>               :: x-dyn-1.example           :: true",
        "\\<dyn\\>               :: <dyn>                     :: true",
        "\\<dyn\\>               :: dyn_1.example             :: false",
        "\\<                     :: ''                        :: false",
        "\\B                     :: ''                        :: true",
        "^\\w+$                  :: host_1                    :: true",
        "^\\w+$                  :: host-1                    :: false",
        "\\w                     :: w                         :: true",
        "\\w                     :: é                         :: false",
        "\\W                     :: _                         :: false",
        "\\W                     :: .                         :: true",
        "a\\sb                   :: a\tb                     :: true",
        "a\\sb                   :: asb                       :: false",
        "a\\Sb                   :: a.b                       :: true",
        "a\\Sb                   :: a b                       :: false",
        "\\`a                    :: a                         :: true",
        "(a)\\1                  :: aa                        :: true",
        "(a)\\1                  :: a1                        :: false",
        "([ab])\\1               :: ab                        :: false",
        "([ab])\\1               :: bb                        :: true",
        "(a)\\1{2}               :: aa                        :: false",
        "(a)\\1{2}               :: aaa                       :: true",
        "(a*)\\1x                :: x                         :: true",
        // one digit only: \10 is group 1 and a 0
        "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10 :: abcdefghija0 :: true",
    })
    void gnuEscapesMeanWhatGlibcReads(String ere, String text, boolean expected) {
        assertEquals(expected, finds(ere, text), () -> ere + " -> " + PosixEre.translate(ere));
        assertEquals(expected, EreMatcher.compile(ere, CaseFolding.EXACT).find(text), () -> ere + " (with the shortcuts)");
    }

    @Test
    void theEndOfTextAnchorIsGlibcs() {
        assertTrue(finds("b\\'", "ab"));
        assertTrue(!finds("a\\'", "ab"));
    }

    @Test
    void backReferencesIgnoreCaseWhenTheExpressionDoes() {
        assertTrue(findsIgnoringCase("(a)\\1", "aA"));
        assertTrue(!finds("(a)\\1", "aA"));
    }

    @ParameterizedTest(name = "/{0}/ is refused")
    @CsvSource(delimiterString = " :: ", quoteCharacter = '"', value = {
        "(?i)abc       :: '?' has nothing to repeat",
        "\\<*dsl       :: '*' has nothing to repeat",
        "x\\b+         :: '+' has nothing to repeat",
        "\\1           :: back-reference \\1 to a group that is not closed before it",
        "(a\\1)        :: back-reference \\1 to a group that is not closed before it",
        "(a)\\2        :: back-reference \\2 to a group that is not closed before it",
        "*abc          :: '*' has nothing to repeat",
        "a|*b          :: '*' has nothing to repeat",
        "^*            :: '*' has nothing to repeat",
        "$*            :: '*' has nothing to repeat",
        "{1}           :: '{' has nothing to repeat",
        "a{            :: invalid interval",
        "a{x}          :: invalid interval",
        "a{,}          :: invalid interval",
        "a{3,2}        :: counts backwards",
        "a{32768}      :: repetition count over 32767",
        "(a            :: unmatched (",
        "((a)          :: unmatched (",
        "[a-           :: unmatched [",
        "[]            :: unmatched [",
        "[^]           :: unmatched [",
        "[z-a]         :: the end comes before the start",
        "[a-c-e]       :: a range cannot start where another ends",
        "[[:foo:]]     :: unknown character class [:foo:]",
        "[[:alpha:]-z] :: a character class cannot start a range",
        "[a-[:alpha:]] :: a range cannot end with a class",
        "[[=a=]-z]     :: an equivalence class cannot start a range",
        "[[.hyphen.]]  :: unknown collating element",
        "[[:alpha:]    :: unmatched [",
        "[[:alpha:     :: unterminated [:",
        "\\            :: trailing backslash",
    })
    void refusesWhatRegcompRefuses(String ere, String message) {
        PatternSyntaxException e = assertThrows(PatternSyntaxException.class, () -> PosixEre.translate(ere));
        assertTrue(e.getDescription().contains(message), e.getDescription());
        assertEquals(ere, e.getPattern());
    }

    @Test
    void ignoringCaseFoldsAsciiLettersAndClasses() {
        assertTrue(findsIgnoringCase("ABC", "xabcx"));
        assertTrue(findsIgnoringCase("[A-C]", "b"));
        assertTrue(findsIgnoringCase("[[:upper:]]", "a"));
        assertTrue(!finds("ABC", "xabcx"));
    }

    @Test
    void translatesToJavaSyntax() {
        assertEquals("(?:a*)+", PosixEre.translate("a*+"));
        assertEquals("\\(\\?i\\)", PosixEre.translate("\\(\\?i\\)"));
        assertEquals("[\\\\d]", PosixEre.translate("[\\d]"));
        assertEquals("[\\]a]", PosixEre.translate("[]a]"));
        assertEquals("[^\\]a]", PosixEre.translate("[^]a]"));
        assertEquals("[\\p{Alpha}\\-]", PosixEre.translate("[[:alpha:]-]"));
        assertEquals("[a\\&\\&b]", PosixEre.translate("[a&&b]"));
        assertEquals("\\.google\\.com\\z", PosixEre.translate("\\.google\\.com$"));
        assertEquals("(?:dsl|dyn)", PosixEre.translate("(dsl|dyn)"));
        assertEquals("a\\)", PosixEre.translate("a)"));
        assertEquals("d", PosixEre.translate("\\d"));
        assertEquals("a\\x{20}b", PosixEre.translate("a b"));
        assertEquals(Pattern.DOTALL, PosixEre.flags(false));
    }

    @Test
    void findsTheLiteralEveryMatchContains() {
        assertEquals("dsl", literal("dsl"));
        assertEquals(".google.com", literal("\\.google\\.com$"));
        assertEquals("-pool", literal("[0-9]+-pool"));
        assertEquals("pool", literal("[0-9]+-?pool"));
        assertEquals("-pool", literal("[0-9]-pool"));
        assertEquals("ab", literal("abc?d"));
        assertEquals("abc", literal("x*abc+y?"));
        assertEquals(".", literal("a?[.]b?"));
        assertEquals("", literal("dsl|dyn"));
        assertEquals("xy", literal("(dsl|dyn)xy"));
        assertEquals("", literal("a+?"));
        assertEquals("", literal("[^.]"));
    }

    @Test
    void recognisesPlainLiterals() {
        assertEquals(PosixEre.Shape.LITERAL, shape("\\.dyn\\."));
        assertEquals(PosixEre.Shape.PREFIX, shape("^mail\\."));
        assertEquals(PosixEre.Shape.SUFFIX, shape("\\.google\\.com$"));
        assertEquals(PosixEre.Shape.WHOLE, shape("^localhost$"));
        assertEquals(PosixEre.Shape.GENERAL, shape("^$"));
        assertEquals(PosixEre.Shape.GENERAL, shape("a$b"));
        assertEquals(PosixEre.Shape.GENERAL, shape("a^b"));
        assertEquals(PosixEre.Shape.GENERAL, shape("ab*"));
        assertEquals(PosixEre.Shape.GENERAL, shape("a|b"));
        assertEquals(PosixEre.Shape.GENERAL, shape("a.b"));
    }

    /**
     * An address pattern folds the letters of every script, as the greydb's keys do: an address in capitals of
     * another script, or with the Kelvin sign for a k, must not step round a pattern written for its key. A host name
     * pattern folds ASCII letters alone: a junk-HELO line must keep catching the long s and the Kelvin sign.
     */
    @Test
    void addressPatternsFoldEveryScriptsLettersAndHostNamePatternsAsciiAlone() {
        for (String ere : new String[] {"^jös@", "^JÖS@", "jös", "j[ö]s", "^j.s@"}) {
            assertTrue(EreMatcher.compile(ere, CaseFolding.LETTERS).find("JÖS@example.org"), ere);
            assertTrue(EreMatcher.compile(ere, CaseFolding.LETTERS).find("jös@example.org"), ere);
        }
        assertTrue(EreMatcher.compile("^kilo@", CaseFolding.LETTERS).find("\u212Ailo@example.org"), "the Kelvin sign is a k");
        assertTrue(EreMatcher.compile("^\uD801\uDC00@", CaseFolding.LETTERS).find("\uD801\uDC28@y"), "outside the BMP");
        assertFalse(EreMatcher.compile("^jös@", CaseFolding.EXACT).find("JÖS@example.org"), "case kept when asked");
        assertTrue(EreMatcher.compile("[^-.a-z0-9]", CaseFolding.ASCII).find("\u017Fpam.example"), "the long s is junk");
        assertTrue(EreMatcher.compile("[^-.a-z0-9]", CaseFolding.ASCII).find("\u212Aevin.example"));
        assertTrue(EreMatcher.compile("DSL", CaseFolding.ASCII).find("pool.dsl.example"));
    }

    /** The shortcuts (required literal, plain-literal shapes) never change a result. */
    @Test
    void shortcutsAgreeWithTheRegularExpression() {
        Random random = new Random(20240611);
        String[] atoms = {"a", "b", "A", ".", "\\.", "-", "[ab]", "[^a]", "[.]", "[[:digit:]]", "1", "(a|b)", "(ab)",
            "ö", "Ö", "k", "\u212A", "[j-l]", "ß", "\u1E9E", "s", "\u017F", "\uD801\uDC00", "\uD801\uDC28"};
        String[] repeats = {"", "", "", "*", "+", "?", "{2}", "{0,1}", "{1,}", "+?"};
        String[] alphabet = {"a", "b", "A", "B", "1", ".", "-", "ö", "Ö", "k", "K", "\u212A", "ß", "\u1E9E", "s",
            "\u017F", "\uD801\uDC00", "\uD801\uDC28"};
        for (int round = 0; round < 20_000; round++) {
            StringBuilder ere = new StringBuilder();
            if (random.nextInt(4) == 0) {
                ere.append('^');
            }
            for (int n = 1 + random.nextInt(4); n > 0; n--) {
                ere.append(atoms[random.nextInt(atoms.length)]).append(repeats[random.nextInt(repeats.length)]);
            }
            if (random.nextInt(4) == 0) {
                ere.append('$');
            }
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(8); n > 0; n--) {
                text.append(alphabet[random.nextInt(alphabet.length)]);
            }
            CaseFolding folding = CaseFolding.values()[random.nextInt(CaseFolding.values().length)];
            String e = ere.toString();
            String t = text.toString();
            boolean expected = Pattern.compile(PosixEre.translate(e), PosixEre.flags(folding)).matcher(t).find();
            assertEquals(expected, EreMatcher.compile(e, folding).find(t), () -> "/" + e + "/ " + folding + " on '" + t + "'");
        }
    }

    private static String literal(String ere) {
        return PosixEre.parse(ere).requiredLiteral();
    }

    private static PosixEre.Shape shape(String ere) {
        return PosixEre.parse(ere).shape();
    }
}
