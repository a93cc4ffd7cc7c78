package org.greylite.suspicion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.greylite.suspicion.geoip.CountryLocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuspicionFileTest {

    /** A GeoIP database in a map; IPv4 only, like greylite's GeoIP.dat. */
    static final CountryLocator GEO = new CountryLocator() {
        private final Map<String, String> countries = Map.of(
                "151.1.1.1", "IT", "212.27.48.10", "FR", "218.1.1.1", "CN");

        @Override
        public Optional<String> countryOf(String address) {
            return Optional.ofNullable(countries.get(address));
        }

        @Override
        public boolean covers(String address) {
            return address.indexOf(':') < 0;
        }

        @Override
        public String description() {
            return "test database (IPv4)";
        }
    };

    /** Builds facts step by step; defaults describe an unremarkable client. */
    static final class Client {
        String address = "192.0.2.10";
        String ptr = "mail.example.org";
        String helo = "mail.example.org";
        String sender = "alice@example.org";
        String recipient = "bob@example.net";
        Map<String, String> variables = new HashMap<>();
        Set<Behaviour> behaviours = EnumSet.noneOf(Behaviour.class);

        Client address(String a) {
            address = a;
            return this;
        }

        Client ptr(String p) {
            ptr = p;
            return this;
        }

        Client helo(String h) {
            helo = h;
            return this;
        }

        Client sender(String s) {
            sender = s;
            return this;
        }

        Client recipient(String r) {
            recipient = r;
            return this;
        }

        Client set(String name, String value) {
            variables.put(name, value);
            return this;
        }

        Client showed(Behaviour b) {
            behaviours.add(b);
            return this;
        }

        ClientFacts facts() {
            return new ClientFacts(address, ptr, helo, sender, recipient, variables, behaviours);
        }
    }

    static Client client() {
        return new Client();
    }

    static SuspicionFile rules(String... lines) {
        return SuspicionFile.parse("suspicion", List.of(lines), GEO);
    }

    static SuspicionFile rulesWithoutGeoIp(String... lines) {
        return SuspicionFile.parse("suspicion", List.of(lines), null);
    }

    /** N and the deciding line number (0 for none). */
    static String verdict(SuspicionFile file, Client client) {
        Suspicion s = file.evaluate(client.facts());
        return s.refusals() + "@" + (s.rule() == null ? 0 : s.rule().line());
    }

    @Test
    void noMatchingLineGivesTheDefault() {
        SuspicionFile file = rules("5 r dsl", "7 v BLACKLISTED");
        assertSame(Suspicion.NONE, file.evaluate(client().facts()));
        assertFalse(file.evaluate(client().facts()).suspicious());
        assertSame(Suspicion.NONE, rules().evaluate(client().facts()));
    }

    @Test
    void aMatchCarriesTheLineAndMakesTheClientSuspicious() {
        Suspicion s = rules("# comment", "", "5 r dsl").evaluate(client().ptr("adsl-1-2.example.net").facts());
        assertEquals(new Suspicion(5, new RuleMatch("suspicion", 3, "5 r dsl")), s);
        assertTrue(s.suspicious());
    }

    @Test
    void zeroAcceptsAtOnceButStillMarksTheClient() {
        Suspicion s = rules("0 r \\.google\\.com$").evaluate(client().ptr("mail-ed1-f54.google.com").facts());
        assertEquals(0, s.refusals());
        assertTrue(s.suspicious());
    }

    @Test
    void theFirstMatchingLineWins() {
        SuspicionFile file = rules(
                "0 r \\.trusted\\.example$",
                "8 r dyn",
                "3 r example",
                "100 b greetdelay");
        assertEquals("0@1", verdict(file, client().ptr("dyn-1.trusted.example").showed(Behaviour.GREETDELAY)));
        assertEquals("8@2", verdict(file, client().ptr("dyn-1.isp.example")));
        assertEquals("3@3", verdict(file, client().ptr("mx.example")));
        assertEquals("100@4", verdict(file, client().ptr("mx.other").showed(Behaviour.GREETDELAY)));
    }

    @Test
    void ptrNameRules() {
        SuspicionFile file = rules("3 r ^$", "5 r [0-9]+[.-][0-9]+[.-][0-9]+", "6 r DSL");
        assertEquals("3@1", verdict(file, client().ptr("")));
        assertEquals("3@1", verdict(file, client().ptr(null)));
        assertEquals("5@2", verdict(file, client().ptr("host-1-2-3.isp.example")));
        assertEquals("6@3", verdict(file, client().ptr("DSL.example")));
    }

    /**
     * greylite 2.3 compiled r lines with {@code REG_EXTENDED | REG_ICASE}, and the programs hand the rules the PTR name
     * in lower case: a line with a capital letter, carried over from greylite, matched nothing at all.
     */
    @Test
    void ptrNameRulesIgnoreCaseAsGreyliteDid(@TempDir Path dir) throws Exception {
        Path path = Files.writeString(dir.resolve("greylite-patterns.conf"),
                "5 r \\.(A?DSL|Dial(in|up))[0-9]*\\.\n4 r ^MAIL\\.\n3 r [[:upper:]]\n");
        SuspicionFile file = SuspicionFile.load(path, GEO);
        assertTrue(file.problems().isEmpty(), file.problems()::toString);
        assertEquals("5@1", verdict(file, client().ptr("pool-7.adsl.example.net")));
        assertEquals("5@1", verdict(file, client().ptr("host.dialup3.example.net")));
        assertEquals("4@2", verdict(file, client().ptr("mail.example.org")));
        assertEquals("3@3", verdict(file, client().ptr("mx.example.org")), "classes fold too, as in glibc");
        assertEquals("1@0", verdict(file, client().ptr("")));
    }

    /** A greylite 2.3 file written on Linux: glibc's regcomp gave these escapes their GNU meanings. */
    @Test
    void gnuEscapesMeanWhatTheyMeantToGreyliteOnGlibc(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("suspicion");
        Files.writeString(file, String.join("\n",
                "5 r \\<(dsl|dyn)\\>",
                "6 r ^\\w+-pool\\.",
                "7 r ([0-9]+)-\\1\\.",
                "8 e h:\\bunknown\\b",
                ""), StandardCharsets.UTF_8);
        SuspicionFile rules = SuspicionFile.load(file, null);
        assertEquals(List.of(), rules.problems());
        assertEquals("5@1", verdict(rules, client().ptr("host-7.dsl.isp.example")));
        assertEquals("1@0", verdict(rules, client().ptr("vdsl7.isp.example")), "not a word of its own");
        assertEquals("6@2", verdict(rules, client().ptr("cust_81-pool.isp.example")));
        assertEquals("7@3", verdict(rules, client().ptr("host-12-12.isp.example")));
        assertEquals("1@0", verdict(rules, client().ptr("host-12-13.isp.example")));
        assertEquals("8@4", verdict(rules, client().ptr("mx.example").helo("Unknown.localdomain")));
    }

    /** The envelope addresses are matched without their brackets: a pattern that needs one could never match. */
    @Test
    void anAddressPatternNeedingAnAngleBracketIsRefused() {
        SuspicionFile file = rules(
                "5 e s:^<>$",
                "4 e r:<postmaster@example\\.com>",
                "3 e s:^$ h:<x>",
                "2 e s:\\<bob@");
        assertEquals(List.of(
                "suspicion:1: pattern 's:^<>$' needs a '<' or '>', which the sender never holds: addresses are matched"
                        + " without their angle brackets (the null sender is the empty sender: s:^$), line discarded",
                "suspicion:2: pattern 'r:<postmaster@example\\.com>' needs a '<' or '>', which the recipient never"
                        + " holds: addresses are matched without their angle brackets (the null sender is the empty"
                        + " sender: s:^$), line discarded"),
                file.problems().stream().map(Problem::toString).toList());
        assertEquals("3@3", verdict(file, client().sender("")));
        assertEquals("2@4", verdict(file, client().sender("bob@example.org")));
    }

    @Test
    void variableNamesSeparatedByCommasAreRefused() {
        SuspicionFile file = rules("5 v BLACKLISTED,RBLSMTPD", "4 v BLACKLISTED RBLSMTPD");
        assertEquals(List.of("suspicion:1: invalid variable name 'BLACKLISTED,RBLSMTPD' (separate the names with spaces,"
                + " as in 3 v BLACKLISTED RBLSMTPD), line discarded"),
                file.problems().stream().map(Problem::toString).toList());
        assertEquals("4@2", verdict(file, client().set("RBLSMTPD", "")));
    }

    @Test
    void theEmptyPtrNameIsStillEvaluated() {
        SuspicionFile file = rules("4 r ! \\.", "5 r dsl");
        assertEquals("4@1", verdict(file, client().ptr("")));
        assertEquals("1@0", verdict(file, client().ptr("a.example")));
    }

    @Test
    void variableRules() {
        SuspicionFile file = rules("10 v BLACKLISTED SPAMMER");
        assertEquals("10@1", verdict(file, client().set("BLACKLISTED", "zen.spamhaus.org")));
        assertEquals("10@1", verdict(file, client().set("SPAMMER", "")), "set to the empty string is set");
        assertEquals("1@0", verdict(file, client().set("OTHER", "1")));
    }

    @Test
    void aPositiveIntegerValueIsN() {
        SuspicionFile file = rules("10 v BLACKLISTED SPAMMER");
        assertEquals("25@1", verdict(file, client().set("BLACKLISTED", "25")));
        assertEquals("7@1", verdict(file, client().set("SPAMMER", "007")));
        assertEquals("10@1", verdict(file, client().set("BLACKLISTED", "0")), "zero is not positive");
        assertEquals("10@1", verdict(file, client().set("BLACKLISTED", "-3")));
        assertEquals("10@1", verdict(file, client().set("BLACKLISTED", " 5")));
        assertEquals("10@1", verdict(file, client().set("BLACKLISTED", "5x")));
        assertEquals(Integer.MAX_VALUE + "@1", verdict(file, client().set("BLACKLISTED", "99999999999999")));
    }

    @Test
    void theFirstListedVariableThatIsSetDecidesN() {
        SuspicionFile file = rules("10 v FIRST SECOND");
        assertEquals("10@1", verdict(file, client().set("FIRST", "listed").set("SECOND", "7")));
        assertEquals("3@1", verdict(file, client().set("FIRST", "3").set("SECOND", "7")));
        assertEquals("7@1", verdict(file, client().set("SECOND", "7")));
    }

    @Test
    void aNegatedVariableLineUsesItsNumber() {
        SuspicionFile file = rules("2 v ! TRUSTED");
        assertEquals("2@1", verdict(file, client()));
        assertEquals("1@0", verdict(file, client().set("TRUSTED", "9")));
    }

    @Test
    void envelopeRules() {
        SuspicionFile file = rules(
                "0 e r:^postmaster@",
                "4 e s:@spam\\.example$ h:^localhost$",
                "6 e s:^$");
        assertEquals("0@1", verdict(file, client().recipient("postmaster@example.net")));
        assertEquals("4@2", verdict(file, client().sender("x@spam.example")));
        assertEquals("4@2", verdict(file, client().helo("localhost")));
        assertEquals("6@3", verdict(file, client().sender("")), "the null sender is the empty string");
        assertEquals("1@0", verdict(file, client().sender("x@spam.example.org")));
    }

    @Test
    void envelopeRulesIgnoreCase() {
        SuspicionFile file = rules("4 e s:@spam\\.example$ r:^POSTMASTER@ h:[[:upper:]]{5}");
        assertEquals("4@1", verdict(file, client().sender("Bob@SPAM.Example")));
        assertEquals("4@1", verdict(file, client().recipient("postmaster@example.net")));
        assertEquals("4@1", verdict(file, client().helo("mail.example.org")), "classes fold too");
        assertEquals("1@0", verdict(file, client().helo("mx.a.b")));
    }

    @Test
    void countryRules() {
        SuspicionFile file = rules("6 g CN ru kp", "2 g ! it");
        assertEquals("6@1", verdict(file, client().address("218.1.1.1")));
        assertEquals("2@2", verdict(file, client().address("212.27.48.10")), "France is not Italy");
        assertEquals("1@0", verdict(file, client().address("151.1.1.1")));
        assertEquals("1@0", verdict(file, client().address("192.0.2.1")),
                "an address the database places in no country cannot be evaluated: ! does not match it");
        assertEquals("1@0", verdict(file, client().address("10.1.2.3")), "nor a private address, a relay of the site");
    }

    @Test
    void countryLinesCannotBeEvaluatedWithoutADatabase() {
        SuspicionFile file = rulesWithoutGeoIp("6 g CN", "2 g ! IT", "3 r .");
        assertTrue(file.usesCountries());
        assertTrue(file.problems().isEmpty(), "the lines load; they just never match");
        assertEquals("3@3", verdict(file, client().address("151.1.1.1")));
        assertEquals("3@3", verdict(file, client().address("218.1.1.1")));
    }

    @Test
    void countryLinesCannotBeEvaluatedForAddressesTheDatabaseDoesNotCover() {
        SuspicionFile file = rules("2 g ! IT");
        assertEquals("1@0", verdict(file, client().address("2001:db8::25")));
        assertEquals(LineOutcome.NOT_EVALUABLE,
                file.explain(client().address("2001:db8::25").facts()).lines().get(0).outcome());
    }

    @Test
    void behaviourRules() {
        SuspicionFile file = rules("100 b greetdelay retryinterval", "5 b COMMANDERRORS");
        assertEquals("100@1", verdict(file, client().showed(Behaviour.GREETDELAY)));
        assertEquals("100@1", verdict(file, client().showed(Behaviour.RETRYINTERVAL)));
        assertEquals("5@2", verdict(file, client().showed(Behaviour.COMMANDERRORS)));
        assertEquals("1@0", verdict(file, client()));
    }

    @Test
    void negationInvertsEveryKind() {
        assertEquals("3@1", verdict(rules("3 r ! ^mx"), client().ptr("host.example")));
        assertEquals("3@1", verdict(rules("3 r !^mx"), client().ptr("host.example")), "! may touch the rule");
        assertEquals("3@1", verdict(rules("3 r! ^mx"), client().ptr("host.example")), "or the kind");
        assertEquals("1@0", verdict(rules("3 r ! ^mx"), client().ptr("mx.example")));
        assertEquals("3@1", verdict(rules("3 e ! r:@example\\.net$"), client().recipient("x@other.example")));
        assertEquals("3@1", verdict(rules("3 b ! greetdelay"), client()));
        assertEquals("1@0", verdict(rules("3 b ! greetdelay"), client().showed(Behaviour.GREETDELAY)));
    }

    @Test
    void fieldsMayBeSeparatedByTabsAndLinesEndInCrLf() {
        SuspicionFile file = rules("\t5\tr\tdsl\r", "  7  v   A  B  ");
        assertTrue(file.problems().isEmpty(), file.problems()::toString);
        assertEquals("5@1", verdict(file, client().ptr("dsl.example")));
        assertEquals("7@2", verdict(file, client().set("B", "")));
        assertEquals("\t5\tr\tdsl", file.evaluate(client().ptr("dsl.example").facts()).rule().text(),
                "the line as written, less the CR and trailing blanks");
    }

    @Test
    void anRLineKeepsInnerSpaces() {
        SuspicionFile file = rules("5 r ^a b$");
        assertEquals("5@1", verdict(file, client().ptr("a b")));
    }

    @Test
    void unknownAndMalformedLinesAreReportedAndTheRestLoads() {
        SuspicionFile file = rules(
                "# a comment",
                "5 x whatever",
                "five r dsl",
                "5 r",
                "5 r !",
                "5 r dsl(",
                "5 b greetdelay slowness",
                "5 g IT ITA",
                "5 e x:foo",
                "5 e s:",
                "5 v A=1",
                "99999999999 r dsl",
                "-1 r dsl",
                "5",
                "   # an indented comment",
                "5 R dsl",
                "4 r dsl");
        List<String> reported = file.problems().stream().map(Problem::toString).toList();
        assertEquals(List.of(
                "suspicion:2: unknown kind 'x', line ignored",
                "suspicion:3: bad number 'five' (a count of refusals, 0 or more), line discarded",
                "suspicion:4: missing rule after 'r', line discarded",
                "suspicion:5: missing rule after 'r !', line discarded",
                "suspicion:6: invalid regular expression 'dsl(': unmatched ( at offset 3, line discarded",
                "suspicion:7: unknown behaviour 'slowness' (greetdelay, retryinterval or commanderrors), line discarded",
                "suspicion:8: bad country code 'ITA' (two letters, such as IT or DE), line discarded",
                "suspicion:9: pattern 'x:foo' must start with r:, s: or h:, line discarded",
                "suspicion:10: empty regular expression in 's:', line discarded",
                "suspicion:11: invalid variable name 'A=1' (write the name only, without '='), line discarded",
                "suspicion:12: bad number '99999999999' (too large; 100 already means practically never), line discarded",
                "suspicion:13: bad number '-1' (a count of refusals, 0 or more), line discarded",
                "suspicion:14: missing kind and rule after the number, line discarded",
                "suspicion:16: unknown kind 'R', line ignored"), reported);
        assertEquals("5 x whatever", file.problems().get(0).text());
        assertEquals(2, file.problems().get(0).line());
        assertEquals("suspicion", file.problems().get(0).file());
        assertEquals(1, file.ruleCount());
        assertEquals("4@17", verdict(file, client().ptr("dsl.example")));
    }

    /**
     * A code no GeoIP database gives would load and never match: {@code g UK} for British clients, who are in GB.
     * Such a line is refused, naming the right code where the mistake is a usual one; former codes, which a legacy
     * database still gives, and the databases' pseudo-countries load.
     */
    @Test
    void aCountryCodeNoGeoIpDatabaseGivesIsRefused() {
        SuspicionFile file = SuspicionFile.parse("suspicion", List.of(
                "5 g UK",
                "5 g IT XX",
                "5 g el",
                "5 g gb yu an a1 o1 ap eu xk ss"), null);
        assertEquals(List.of(
                "suspicion:1: 'UK' is no country code a GeoIP database gives: write GB, line discarded",
                "suspicion:2: 'XX' is no country code a GeoIP database gives (ISO 3166-1, such as IT or DE), line discarded",
                "suspicion:3: 'EL' is no country code a GeoIP database gives: write GR, line discarded"),
                file.problems().stream().map(Problem::toString).toList());
        assertEquals(1, file.ruleCount());
    }

    /** The language has no comments after a rule: a line that breaks on one says so, not only what broke. */
    @Test
    void aCommentAfterARuleIsNamedInTheReason() {
        SuspicionFile file = SuspicionFile.parse("suspicion", List.of(
                "5 g IT # Italy",
                "3 b greetdelay #slow",
                "2 e s:^$ # bounces"), null);
        assertEquals(List.of(
                "suspicion:1: bad country code '#' (two letters, such as IT or DE), line discarded"
                        + " (a '#' after a rule starts no comment: put comments on lines of their own)",
                "suspicion:2: unknown behaviour '#slow' (greetdelay, retryinterval or commanderrors), line discarded"
                        + " (a '#' after a rule starts no comment: put comments on lines of their own)",
                "suspicion:3: pattern '#' must start with r:, s: or h:, line discarded"
                        + " (a '#' after a rule starts no comment: put comments on lines of their own)"),
                file.problems().stream().map(Problem::toString).toList());
    }

    @Test
    void groupsNestedTooDeeplyAreAMalformedLineNotAnError() {
        String nested = "(".repeat(5000) + "a" + ")".repeat(5000);
        SuspicionFile file = rules("5 r " + nested, "6 e h:" + nested, "4 r dsl");
        assertEquals(List.of(
                "suspicion:1: invalid regular expression of 10001 characters: groups nested too deeply, line discarded",
                "suspicion:2: invalid regular expression of 10003 characters: groups nested too deeply, line discarded"),
                file.problems().stream().map(p -> p.file() + ":" + p.line() + ": " + p.reason()).toList());
        assertEquals("4@3", verdict(file, client().ptr("dsl.example")));
    }

    /**
     * The JDK compiles a long literal in time growing with its square (200,000 characters took most of a minute):
     * a longer expression than a rule may have is refused before it is compiled.
     */
    @Test
    void anOverlongExpressionIsAMalformedLine() {
        String literal = "a".repeat(200_000);
        SuspicionFile file = rules("5 r " + literal, "6 e s:" + literal, "7 r " + "b".repeat(SuspicionFile.MAX_EXPRESSION), "4 r dsl");
        assertEquals(List.of(
                "suspicion:1: regular expression of 200000 characters, more than the 16384 a rule may have, line discarded",
                "suspicion:2: regular expression of 200000 characters, more than the 16384 a rule may have, line discarded"),
                file.problems().stream().map(p -> p.file() + ":" + p.line() + ": " + p.reason()).toList());
        assertEquals("7@3", verdict(file, client().ptr("b".repeat(SuspicionFile.MAX_EXPRESSION) + ".example")));
        assertEquals("4@4", verdict(file, client().ptr("dsl.example")));
    }

    @Test
    void anInvalidEnvelopeRegexIsReported() {
        SuspicionFile file = rules("5 e s:ok h:[z-a]");
        assertEquals("suspicion:1: invalid regular expression 'h:[z-a]': invalid range z-a: the end comes "
                + "before the start at offset 2, line discarded", file.problems().get(0).toString());
    }

    @Test
    void loadsAFileToleratingBytesThatAreNotUtf8(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("suspicion");
        byte[] latin1 = "# caf\u00e9 owner's note\n5 r dsl\n\n7 v BLACKLISTED\n".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(path, latin1);
        SuspicionFile file = SuspicionFile.load(path, null);
        assertEquals(path.toString(), file.fileName());
        assertEquals(2, file.ruleCount());
        assertEquals(new RuleMatch(path.toString(), 4, "7 v BLACKLISTED"),
                file.evaluate(client().set("BLACKLISTED", "x").facts()).rule());
    }

    @Test
    void aByteOrderMarkBeforeTheFirstLineIsNotPartOfIt(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("suspicion");
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
        byte[] text = "5 r dsl\r\n7 v BLACKLISTED\r\n".getBytes(StandardCharsets.UTF_8);
        byte[] written = new byte[bom.length + text.length];
        System.arraycopy(bom, 0, written, 0, bom.length);
        System.arraycopy(text, 0, written, bom.length, text.length);
        Files.write(path, written);
        SuspicionFile file = SuspicionFile.load(path, null);
        assertTrue(file.problems().isEmpty(), file.problems()::toString);
        assertEquals(new RuleMatch(path.toString(), 1, "5 r dsl"), file.evaluate(client().ptr("dsl.example").facts()).rule());
    }

    @Test
    void aTextTooLongForTheRegexEngineMakesThePatternUnevaluableNotAnError() {
        // A HELO of 1,990 labels fits in the 4,096-byte command line; searched for with a repeated group, it ran
        // Java's engine out of stack, and the error reached the caller (greylited's RCPT then hung unanswered).
        // Whether 1,990 labels are enough depends on the JIT (compiled, the engine's frames are smaller): this
        // test takes a text that runs out of stack whatever the state, since what it proves is the handling.
        String helo = "a.".repeat(200_000) + "com";
        SuspicionFile file = rules(
                "7 e h:^([a-z0-9-]+\\.)+[a-z]+$",
                "6 e ! h:^([a-z0-9-]+\\.)+[a-z]+$",
                "5 e h:^([a-z0-9-]+\\.)+[a-z]+$ s:@example\\.org$",
                "4 r ^([a-z0-9-]+\\.)+[a-z]+$");
        assertTrue(file.problems().isEmpty(), file.problems()::toString);
        assertEquals("5@3", verdict(file, client().helo(helo)), "another pattern of the line still matches");
        assertEquals("1@0", verdict(file, client().helo(helo).sender("a@example.net").ptr(helo)),
                "no line can be evaluated, and ! does not make one match");
        Explanation why = file.explain(client().helo(helo).sender("a@example.net").ptr(helo).facts());
        assertEquals(LineOutcome.NOT_EVALUABLE, why.lines().get(0).outcome());
        assertTrue(why.lines().get(0).reason().contains("ran out of stack"), why.lines().get(0).reason());
        assertEquals(LineOutcome.NOT_EVALUABLE, why.lines().get(3).outcome());
    }

    @Test
    void explainsEveryLineUpToTheDecidingOne() {
        SuspicionFile file = rules(
                "0 r \\.google\\.com$",
                "4 g ! IT",
                "6 g CN",
                "10 v BLACKLISTED",
                "5 r dsl",
                "100 b greetdelay");
        Explanation e = file.explain(client().address("151.1.1.1").ptr("adsl.example")
                .set("BLACKLISTED", "25").facts());
        assertEquals(new Suspicion(25, new RuleMatch("suspicion", 4, "10 v BLACKLISTED")), e.result());
        assertEquals(4, e.lines().size());
        assertEquals("""
                suspicion:1: no match: PTR name 'adsl.example' does not match /\\.google\\.com$/  [0 r \\.google\\.com$]
                suspicion:2: no match: address '151.1.1.1' is in IT, listed in IT; ! inverts that  [4 g ! IT]
                suspicion:3: no match: address '151.1.1.1' is in IT, not in CN  [6 g CN]
                suspicion:4: match: BLACKLISTED is set to '25', a positive integer: N = 25 instead of the line's number  [10 v BLACKLISTED]
                verdict: N = 25, suspicious (never auto-whitelisted), decided by suspicion:4
                """, e.format());
    }

    @Test
    void explainsLinesThatCannotBeEvaluatedAndTheDefault() {
        SuspicionFile file = rulesWithoutGeoIp("4 g ! IT", "3 e s:@spam\\.example$ h:^localhost$", "2 b greetdelay",
                "5 v A B");
        Explanation e = file.explain(client().sender("").showed(Behaviour.COMMANDERRORS).facts());
        assertEquals(Suspicion.NONE, e.result());
        assertEquals("""
                suspicion:1: cannot evaluate: no GeoIP database is configured, so g lines cannot be evaluated; ! does not change that  [4 g ! IT]
                suspicion:2: no match: no pattern matches (sender '', HELO name 'mail.example.org')  [3 e s:@spam\\.example$ h:^localhost$]
                suspicion:3: no match: the client showed none of these (it showed: commanderrors)  [2 b greetdelay]
                suspicion:4: no match: none of A B is set  [5 v A B]
                verdict: no line matched: N = 1, not suspicious (may be auto-whitelisted)
                """, e.format());
    }

    @Test
    void explanationsAgreeWithEvaluation() {
        SuspicionFile file = rules("5 r dsl", "3 e h:^localhost$", "6 g ! IT FR", "10 v BLACKLISTED",
                "100 b greetdelay");
        List<Client> clients = List.of(client(), client().ptr("dsl.example"), client().helo("LOCALHOST"),
                client().address("151.1.1.1"), client().address("151.1.1.1").set("BLACKLISTED", "7"),
                client().address("2001:db8::1").showed(Behaviour.GREETDELAY));
        for (Client c : clients) {
            assertEquals(file.evaluate(c.facts()), file.explain(c.facts()).result());
        }
    }

    @Test
    void explainsEnvelopeAndPtrMatches() {
        SuspicionFile file = rules("3 e h:^localhost$ s:@spam\\.example$", "3 r ^$");
        assertEquals("sender 'x@SPAM.example' matches s:@spam\\.example$",
                file.explain(client().sender("x@SPAM.example").facts()).lines().get(0).reason());
        assertEquals("no PTR name (the empty name) matches /^$/",
                file.explain(client().ptr("").facts()).lines().get(1).reason());
    }

    @Test
    void anEmptyFileAcceptsEveryoneWithTheDefault() {
        SuspicionFile file = SuspicionFile.empty("none");
        assertEquals(0, file.ruleCount());
        assertSame(Suspicion.NONE, file.evaluate(client().facts()));
    }
}
