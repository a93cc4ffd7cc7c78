package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.MiniJson;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuspicionExplainCommandTest {

    private static final Map<String, String> ENV = Map.of("GEOIPDB_FILE", "/nonexistent/GeoIP.dat");
    /** Characters no output may hold as they are: controls (C0, DEL, C1), line separators, bidi formatting. */
    private static final Pattern UNSAFE =
            Pattern.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]");
    private static final Path DEBIAN_GEOIP = Path.of("/usr/share/GeoIP/GeoIP.dat");

    @TempDir
    Path dir;

    private Path rules;

    @BeforeEach
    void writeRules() throws Exception {
        rules = Files.writeString(dir.resolve("suspicion"), String.join("\n",
                "# pools first",
                "5 r \\.dsl\\.",
                "2 e s:@spam\\.example$ h:^localhost$",
                "1 v SUSPECT",
                "3 b greetdelay",
                ""));
    }

    private Ctl.Run explain(String... options) {
        String[] args = new String[options.length + 3];
        args[0] = "suspicion";
        args[1] = "explain";
        args[2] = rules.toString();
        System.arraycopy(options, 0, args, 3, options.length);
        return Ctl.run(ENV, args);
    }

    @Test
    void aClientGreylistingSkipsIsAcceptedAtOnceWhateverTheFileSays() throws Exception {
        // The engine accepts these at once without reading the file; explain gave the file's N = 5 for them.
        rules = Files.writeString(dir.resolve("everyone"), "5 r ^$\n");
        Ctl.Run relay = explain("--ip", "192.0.2.7", "--var", "RELAYCLIENT", "--to", "b@example.com");
        assertEquals(0, relay.exit(), relay.toString());
        assertEquals(List.of("client 192.0.2.7, PTR none, HELO none, from <>, to <b@example.com>, variables RELAYCLIENT=,"
                        + " behaviours none",
                "verdict: not greylisted: RELAYCLIENT is set, so the mail is accepted at once (N = 0) and the suspicion"
                        + " file is not consulted"), relay.out().lines().toList());

        Ctl.Run whitelisted = explain("--ip", "192.0.2.7", "--var", "WHITELISTED=tcprules", "--json");
        Map<String, Object> json = MiniJson.object(whitelisted.out());
        Map<String, Object> acceptedAtOnce = new HashMap<>();
        acceptedAtOnce.put("line", null);
        acceptedAtOnce.put("attempts", 0L);
        acceptedAtOnce.put("rule", null);
        assertEquals(acceptedAtOnce, verdict(json), whitelisted.out());
        assertEquals("WHITELISTED is set", json.get("skipped"));

        Ctl.Run postmaster = explain("--ip", "192.0.2.7", "--to", "<PostMaster@example.com>", "--json");
        Map<String, Object> exempt = MiniJson.object(postmaster.out());
        assertEquals(0L, exempt.get("attempts"), postmaster.out());
        assertEquals("the recipient postmaster@ is never greylisted", exempt.get("skipped"));

        Map<String, Object> decided = MiniJson.object(explain("--ip", "192.0.2.7", "--to", "b@example.com", "--json").out());
        assertEquals(5L, decided.get("attempts"));
        assertTrue(decided.containsKey("skipped") && decided.get("skipped") == null, decided::toString);
    }

    @Test
    void aKnownSenderIsAcceptedAtOnceAsTheProgramsAcceptIt() throws Exception {
        // The wrapper lets a confirmed mail-sor-f41.google.com through at once (the shipped known-senders list);
        // explain gave it the N of '5 r google'.
        rules = Files.writeString(dir.resolve("pools"), "5 r google\n");
        Ctl.Run r = explain("--ip", "192.0.2.7", "--ptr", "Mail-Sor-F41.Google.com.", "--to", "b@example.com", "--json");
        Map<String, Object> json = MiniJson.object(r.out());
        assertEquals(0L, json.get("attempts"), r.out());
        assertTrue(String.valueOf(json.get("skipped")).startsWith(
                "the client is a known sender (suffix google.com, (shipped) known-senders.whitelist:"), r.out());

        Map<String, String> withoutShipped = new HashMap<>(ENV);
        withoutShipped.put("GREYLITE_NO_SHIPPED_WHITELIST", "1");
        Ctl.Run own = Ctl.run(withoutShipped, "suspicion", "explain", rules.toString(), "--ip", "192.0.2.7",
                "--ptr", "mail-sor-f41.google.com", "--json");
        assertEquals(5L, MiniJson.object(own.out()).get("attempts"), own.out());
    }

    @Test
    void theHelpSaysWhichVariablesMakeTheKnownSenders() {
        Ctl.Run help = Ctl.run(ENV, "suspicion", "explain", "--help");
        String text = help.out().replaceAll("\\s+", " ");
        assertTrue(text.contains("the shipped list unless $GREYLITE_NO_SHIPPED_WHITELIST is set"), help.out());
        assertTrue(text.contains("$GREYLITE_WHITELIST_FILES"), help.out());
    }

    /**
     * A greylite 2.3 line with capital letters: greylite compiled r lines with REG_ICASE, and the name the rules see is
     * in lower case, so '5 r DSL' matched nothing here and explain, like the programs, said N = 1.
     */
    @Test
    void aGreyliteLineWithCapitalsMatchesThePtrNameWhateverItsCase() throws Exception {
        rules = Files.writeString(dir.resolve("greylite-patterns.conf"), "5 r \\.(A?DSL|Dial(in|up))[0-9]*\\.\n");
        Ctl.Run r = explain("--ip", "192.0.2.7", "--ptr", "Pool-7.DSL.Example.NET", "--json");
        assertEquals(5L, MiniJson.object(r.out()).get("attempts"), r.out());
        Ctl.Run lower = explain("--ip", "192.0.2.7", "--ptr", "host.dialup3.example.net", "--json");
        assertEquals(5L, MiniJson.object(lower.out()).get("attempts"), lower.out());
    }

    /**
     * Under the C locale (cron, a service unit) the JVM decoded the arguments as ASCII: --from jös@bücher.example was
     * j??s@b??cher.example, the s: pattern the engine matches (it reads the client's bytes as UTF-8) did not match, and
     * explain said N = 1 for a client the wrapper refuses 5 times. A real process, since the locale is the JVM's.
     */
    @Test
    void anInternationalAddressTypedUnderTheCLocaleIsReadAsTyped() throws Exception {
        rules = Files.writeString(dir.resolve("utf8"), "5 e s:^jös@\n");
        try (org.greylite.testing.JavaProgram ctl = org.greylite.testing.JavaProgram.startThroughShell(dir, GreyliteCtl.class,
                List.of("suspicion", "explain", rules.toString(), "--ip", "192.0.2.7", "--from", "jös@bücher.example",
                        "--json"),
                env -> {
                    env.keySet().removeIf(k -> k.equals("LANG") || k.startsWith("LC_"));
                    env.put("LC_ALL", "C");
                    env.put("GEOIPDB_FILE", "/nonexistent/GeoIP.dat");
                })) {
            assertEquals(0, ctl.awaitExit(java.time.Duration.ofSeconds(30)), ctl.output());
            String json = ctl.output().lines().filter(l -> l.startsWith("{")).findFirst().orElse(ctl.output());
            assertEquals(5L, MiniJson.object(json).get("attempts"), json);
            // JSON is UTF-8 (RFC 8259): under the C locale the output's charset was ASCII, and the sender came out
            // as j?s@b?cher.example.
            assertTrue(json.contains("jös@bücher.example"), json);
        }
    }

    /** The engine hands the rules the addresses as keyed too (tags dropped, lower case): explain says so. */
    @Test
    void anAddressIsMatchedAsTheGreydbKeysItToo() throws Exception {
        rules = Files.writeString(dir.resolve("keyed"), "100 e s:^evil@\n");
        Ctl.Run r = explain("--ip", "192.0.2.7", "--from", "Evil+Tag@X.example", "--to", "b@example.org");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains(rules + ":1: match: sender 'Evil+Tag@X.example' (keyed as 'evil@x.example')"
                + " matches s:^evil@"), r.out());
        assertEquals(100L, MiniJson.object(explain("--ip", "192.0.2.7", "--from", "evil+tag@x.example", "--json").out())
                .get("attempts"));
    }

    @Test
    void aNegatedVariableLineDoesNotClaimTheNOfTheVariable() throws Exception {
        // The reason said "N = 5 instead of the line's number" of a line that did not match, above a verdict of N = 1.
        rules = Files.writeString(dir.resolve("negated"), "3 v ! SUSPICION_N\n");
        Ctl.Run r = explain("--ip", "192.0.2.7", "--var", "SUSPICION_N=5");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(List.of("client 192.0.2.7, PTR none, HELO none, from <>, to <>, variables SUSPICION_N=5, behaviours none",
                rules + ":1: no match: SUSPICION_N is set to '5'; ! inverts that  [3 v ! SUSPICION_N]",
                "verdict: no line matched: N = 1, not suspicious (may be auto-whitelisted)"), r.out().lines().toList());
    }

    @Test
    void showsTheDecidingLineAndWhyTheLinesAboveItDidNotMatch() {
        Ctl.Run r = explain("--ip", "192.0.2.7", "--ptr", "host-7.pool.example.net", "--helo", "mx.example.net",
                "--from", "<a@example.org>", "--to", "b@example.com", "--behaviour", "greetdelay");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(6, lines.size(), r.out());
        assertEquals("client 192.0.2.7, PTR host-7.pool.example.net, HELO mx.example.net, from <a@example.org>,"
                + " to <b@example.com>, variables none, behaviours greetdelay", lines.get(0));
        assertTrue(lines.get(1).startsWith(rules + ":2: no match: ") && lines.get(1).endsWith("[5 r \\.dsl\\.]"), lines.get(1));
        assertTrue(lines.get(2).startsWith(rules + ":3: no match: "), lines.get(2));
        assertTrue(lines.get(3).startsWith(rules + ":4: no match: "), lines.get(3));
        assertTrue(lines.get(4).startsWith(rules + ":5: match: "), lines.get(4));
        assertEquals("verdict: N = 3, suspicious (never auto-whitelisted), decided by " + rules + ":5", lines.get(5));
    }

    @Test
    void aPtrNameIsComparedAsTheProgramsCompareIt() {
        // dig and mail logs show names with capitals or a final dot; greylited, greylite and greylite-policy hand
        // the rules the name in lower case, without the dot, and explain must decide as they do.
        Ctl.Run r = explain("--ip", "192.0.2.7", "--ptr", "Host-7.DSL.Example.NET.");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("client 192.0.2.7, PTR host-7.dsl.example.net, "), r.out());
        assertTrue(r.out().endsWith("verdict: N = 5, suspicious (never auto-whitelisted), decided by " + rules + ":2\n"),
                r.out());
    }

    @Test
    void withoutAMatchTheDefaultApplies() {
        Ctl.Run r = explain("--ip", "2001:db8::25", "--ptr", "mx.example.net");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().endsWith("verdict: no line matched: N = 1, not suspicious (may be auto-whitelisted)\n"), r.out());
    }

    @Test
    void jsonGivesTheLineTheNumberAndTheRule() {
        Map<String, Object> hit = MiniJson.object(explain("--ip", "192.0.2.7", "--ptr", "a.dsl.example", "--json").out());
        assertEquals(Map.of("line", 2L, "attempts", 5L, "rule", "5 r \\.dsl\\."), verdict(hit));
        assertEquals(true, hit.get("suspicious"));

        Map<String, Object> none = MiniJson.object(explain("--ip", "192.0.2.7", "--json").out());
        Map<String, Object> expected = new HashMap<>();
        expected.put("line", null);
        expected.put("attempts", 1L);
        expected.put("rule", null);
        assertEquals(expected, verdict(none));
        assertEquals(false, none.get("suspicious"));

        Map<String, Object> variable = MiniJson.object(explain("--ip", "192.0.2.7", "--var", "SUSPECT=9", "--json").out());
        assertEquals(Map.of("line", 4L, "attempts", 9L, "rule", "1 v SUSPECT"), verdict(variable),
                "the variable's value is N");
        List<?> tried = (List<?>) variable.get("lines");
        assertEquals(3, tried.size(), "the lines up to the one that decided: " + tried);
        Map<?, ?> first = (Map<?, ?>) tried.get(0);
        assertEquals(2L, first.get("line"));
        assertEquals("no match", first.get("outcome"));
        assertTrue(first.get("reason") instanceof String r && !r.isEmpty(), "why it did not match: " + first);
        assertEquals("match", ((Map<?, ?>) tried.get(2)).get("outcome"));
    }

    /** The verdict's three fields of an explain --json object. */
    private static Map<String, Object> verdict(Map<String, Object> json) {
        Map<String, Object> v = new HashMap<>();
        for (String k : List.of("line", "attempts", "rule")) {
            v.put(k, json.get(k));
        }
        return v;
    }

    @Test
    void jsonStringsAreEscaped() throws Exception {
        String line = "7\tr \"quoted\\\\\u00e9";
        Files.writeString(rules, line + "\n");
        Ctl.Run r = explain("--ip", "192.0.2.7", "--ptr", "\"quoted\\\u00e9.example", "--json");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("\\t") && r.out().contains("\\\"quoted\\\\\\\\"), r.out());
        assertEquals(Map.of("line", 1L, "attempts", 7L, "rule", line), verdict(MiniJson.object(r.out())));
    }

    @Test
    void variablesAndBehavioursAreReadAsWritten() {
        assertTrue(explain("--ip", "192.0.2.7", "--var", "SUSPECT").out().contains(rules + ":4: match: "),
                "a variable set to the empty string is set");
        Ctl.Run both = explain("--ip", "192.0.2.7", "--behavior", "commanderrors,GREETDELAY");
        assertTrue(both.out().contains("behaviours greetdelay commanderrors"), both.out());
        assertTrue(both.out().contains(rules + ":5: match: "), both.out());
    }

    @Test
    void countryLinesUseTheGeoIpDatabase() throws Exception {
        if (!Files.isReadable(DEBIAN_GEOIP)) {
            String why = DEBIAN_GEOIP + " is missing (Debian package geoip-database)";
            if (ExternalPrograms.underCi()) {
                Assertions.fail(why);
            }
            Assumptions.abort(why);
        }
        Files.writeString(rules, "4 g US\n");
        Map<String, String> env = Map.of("GEOIPDB_FILE", DEBIAN_GEOIP.toString());
        Ctl.Run us = Ctl.run(env, "suspicion", "explain", rules.toString(), "--ip", "8.8.8.8", "--json");
        assertEquals(Map.of("line", 1L, "attempts", 4L, "rule", "4 g US"), verdict(MiniJson.object(us.out())),
                us.toString());
        assertEquals("", us.err());

        Ctl.Run without = Ctl.run(ENV, "suspicion", "explain", rules.toString(), "--ip", "8.8.8.8");
        assertTrue(without.out().contains(rules + ":1: cannot evaluate: "), without.out());
        assertTrue(without.err().contains("g lines cannot be evaluated"), without.err());

        // A relay of the site on a private network is in no country: "g ! IT" does not make it suspicious.
        Files.writeString(rules, "4 g ! IT\n");
        Ctl.Run relay = Ctl.run(env, "suspicion", "explain", rules.toString(), "--ip", "10.1.2.3");
        assertTrue(relay.out().contains(rules + ":1: cannot evaluate: address '10.1.2.3' is in no country "),
                relay.out());
        assertEquals(1L, MiniJson.object(Ctl.run(env, "suspicion", "explain", rules.toString(), "--ip", "10.1.2.3",
                "--json").out()).get("attempts"), "no line matched: one refusal, as for a client no line suspects");
    }

    @Test
    void aClientBehindNat64OrTeredoIsPlacedByItsIpv4Address() throws Exception {
        // An IPv6-only server behind a NAT64 translator sees every IPv4 client as 64:ff9b::a.b.c.d, which no GeoIP
        // database places: its g lines could never be evaluated. Teredo's 2001:0::/32 carries the client's address too.
        if (!Files.isReadable(DEBIAN_GEOIP)) {
            String why = DEBIAN_GEOIP + " is missing (Debian package geoip-database)";
            if (ExternalPrograms.underCi()) {
                Assertions.fail(why);
            }
            Assumptions.abort(why);
        }
        Files.writeString(rules, "4 g US\n");
        Map<String, String> env = Map.of("GEOIPDB_FILE", DEBIAN_GEOIP.toString());
        for (String client : List.of("64:ff9b::8.8.8.8", "2001:0:4136:e378:8000:63bf:f7f7:f7f7")) {
            Ctl.Run r = Ctl.run(env, "suspicion", "explain", rules.toString(), "--ip", client, "--json");
            assertEquals(Map.of("line", 1L, "attempts", 4L, "rule", "4 g US"), verdict(MiniJson.object(r.out())),
                    r.toString());
        }
    }

    @Test
    void aGeoIpDatabaseThatCannotBeUsedIsNamedWithItsReasonNotSaidToBeUnconfigured() throws Exception {
        // GEOIPDB_FILE was set, to a file that does not exist: the warning said so, and every g line's reason said
        // "no GeoIP database is configured", sending the administrator to set what was set.
        Files.writeString(rules, "4 g ! IT\n");
        Ctl.Run missing = Ctl.run(ENV, "suspicion", "explain", rules.toString(), "--ip", "8.8.8.8");
        assertTrue(missing.out().contains(rules + ":1: cannot evaluate: no GeoIP database: /nonexistent/GeoIP.dat does"
                + " not exist (GEOIPDB_FILE), so g lines cannot be evaluated; ! does not change that"), missing.out());

        Map<String, String> notGeoIp = Map.of("GEOIPDB_FILE", rules.toString());
        Ctl.Run unreadable = Ctl.run(notGeoIp, "suspicion", "explain", rules.toString(), "--ip", "8.8.8.8");
        assertTrue(unreadable.out().contains(rules + ":1: cannot evaluate: the GeoIP database " + rules + " cannot be read: "),
                unreadable.out());
        assertFalse(unreadable.out().contains("configured"), unreadable.out());
    }

    @Test
    void problemsInTheFileAreWarnings() throws Exception {
        Files.writeString(rules, "3 x unknown\n2 v A\n");
        Ctl.Run r = explain("--ip", "192.0.2.7", "--var", "A", "--json");
        assertEquals(0, r.exit());
        assertEquals(Map.of("line", 2L, "attempts", 2L, "rule", "2 v A"), verdict(MiniJson.object(r.out())));
        assertEquals("warning: " + rules + ":1: unknown kind 'x', line ignored\n", r.err());
    }

    @Test
    void aHeloPastedWithControlsOrABidiOverrideIsShownSafelyAndJsonKeepsItExactly() {
        String helo = "mx\u202e\u0085\u001b[2J.example";
        Ctl.Run r = explain("--ip", "192.0.2.7", "--helo", helo);
        assertEquals(0, r.exit(), r.toString());
        for (String line : r.out().lines().toList()) {
            assertFalse(UNSAFE.matcher(line).find(),
                    "printed as it is: " + line.chars().mapToObj(c -> String.format("%04x", c)).toList());
        }
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).contains(", HELO mx???[2J.example, "), lines.get(0));
        assertTrue(lines.get(2).contains("'mx???[2J.example'"), "quoted in the e line's reason: " + lines.get(2));

        Ctl.Run json = explain("--ip", "192.0.2.7", "--helo", helo, "--json");
        assertFalse(UNSAFE.matcher(json.out().replace("\n", "")).find(), json.out());
        List<?> tried = (List<?>) MiniJson.object(json.out()).get("lines");
        assertTrue(((Map<?, ?>) tried.get(1)).get("reason").toString().contains("'" + helo + "'"), json.out());
    }

    @Test
    void anAddressWithSmtpParametersAfterItIsRefusedNotMatchedAsTyped() throws Exception {
        // A MAIL FROM pasted with its parameters was taken whole: s:@spam\.example$ did not match
        // "<x@spam.example> SIZE=100", and explain said N = 1 for a sender the engine refuses twice.
        Ctl.Run mail = explain("--ip", "192.0.2.7", "--from", "<x@spam.example> SIZE=100");
        assertEquals(2, mail.exit(), mail.toString());
        assertTrue(mail.err().contains("--from takes the address alone, not '<x@spam.example> SIZE=100'"), mail.err());
        Ctl.Run rcpt = explain("--ip", "192.0.2.7", "--to", "b@example.com NOTIFY=NEVER");
        assertEquals(2, rcpt.exit(), rcpt.toString());
        assertTrue(rcpt.err().contains("--to takes the address alone"), rcpt.err());

        // A space inside a quoted local part is part of the address.
        Files.writeString(rules, "2 e s:^\"john.doe\"@spam\\.example$\n");
        Ctl.Run quoted = explain("--ip", "192.0.2.7", "--from", "<\"john doe\"@spam.example>", "--json");
        assertEquals(0, quoted.exit(), quoted.toString());
        assertEquals(2L, MiniJson.object(quoted.out()).get("attempts"), quoted.out());
    }

    @Test
    void aQuotedOrSourceRoutedAddressIsSeenAsTheEngineSeesIt() throws Exception {
        // "zero"@ and @relay:zero@ are zero@ to the engine's rules: explain says what the engine does.
        Files.writeString(rules, "0 e r:^zero@\n");
        for (String to : new String[] {"<\"zero\"@dest.example>", "<@relay.example:zero@dest.example>"}) {
            Ctl.Run run = explain("--ip", "192.0.2.7", "--to", to, "--json");
            assertEquals(0, run.exit(), run.toString());
            assertEquals(0L, MiniJson.object(run.out()).get("attempts"), to + ": " + run.out());
        }
    }

    @Test
    void asGreydaemonNoPtrOrHeloLineMatchesAndWhatItIsNotToldIsRefused() throws Exception {
        // greydaemon is told no name and no HELO: its r lines and h: patterns cannot be evaluated, "no PTR name" included.
        rules = Files.writeString(dir.resolve("greydaemon"), "4 r ^$\n3 e h:^localhost$\n2 e s:@spam\\.example$\n");
        Ctl.Run r = explain("--as", "greydaemon", "--ip", "192.0.2.7", "--from", "a@spam.example", "--to", "b@example.com");
        assertEquals(0, r.exit(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals("client 192.0.2.7, PTR and HELO not known (greydaemon is told neither), from <a@spam.example>,"
                + " to <b@example.com>, variables none, behaviours none", lines.get(0));
        assertEquals(rules + ":1: cannot evaluate: the client's PTR name is not known here (greydaemon is told none)"
                + "  [4 r ^$]", lines.get(1), "said once, not \"cannot evaluate: cannot be evaluated\"");
        assertTrue(lines.get(2).startsWith(rules + ":2: cannot evaluate: "), lines.get(2));
        assertEquals("verdict: N = 2, suspicious (never auto-whitelisted), decided by " + rules + ":3", lines.get(4));
        assertEquals(Map.of("line", 1L, "attempts", 4L, "rule", "4 r ^$"),
                verdict(MiniJson.object(explain("--ip", "192.0.2.7", "--json").out())), "greylited sees the empty name");

        for (String[] told : List.of(new String[] {"--ptr", "mx.example.net"}, new String[] {"--helo", "localhost"},
                new String[] {"--var", "BLACKLISTED=zen.example"}, new String[] {"--behaviour", "greetdelay"})) {
            Ctl.Run refused = explain("--as", "greydaemon", "--ip", "192.0.2.7", told[0], told[1]);
            assertEquals(2, refused.exit(), refused.toString());
            assertTrue(refused.err().startsWith("greylitectl: " + told[0] + ": ")
                    || refused.err().startsWith("greylitectl: greydaemon is told no PTR name and no HELO"), refused.err());
        }
        assertEquals(0, explain("--as", "greydaemon", "--ip", "192.0.2.7", "--behaviour", "retryinterval").exit());
        Ctl.Run policy = explain("--as", "greylite-policy", "--ip", "192.0.2.7", "--ptr", "mx.example.net", "--var", "X");
        assertEquals(2, policy.exit(), policy.toString());
        assertTrue(policy.err().startsWith("greylitectl: --var: no variable reaches greylite-policy's rules"), policy.err());
        assertEquals(2, explain("--as", "postgrey", "--ip", "192.0.2.7").exit());
    }

    @Test
    void badOptionsAreTrouble() {
        Ctl.Run name = explain("--ip", "mail.example");
        assertEquals(2, name.exit());
        assertTrue(name.err().contains("--ip wants an IPv4 or IPv6 address, not 'mail.example'"), name.err());
        assertEquals(2, explain("--ip", "192.0.2.256").exit());
        assertEquals(2, explain().exit(), "--ip is required");
        Ctl.Run behaviour = explain("--ip", "192.0.2.7", "--behaviour", "rude");
        assertEquals(2, behaviour.exit());
        assertTrue(behaviour.err().contains("unknown behaviour 'rude'; known: greetdelay, retryinterval, commanderrors"),
                behaviour.err());
        assertEquals(2, explain("--ip", "192.0.2.7", "--var", "=x").exit());
        assertEquals(2, Ctl.run(ENV, "suspicion", "explain", dir.resolve("missing").toString(), "--ip", "192.0.2.7").exit());
    }
}
