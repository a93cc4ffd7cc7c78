package org.greylite.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessRulesTest {

    private static AccessRules rules(String... lines) {
        return AccessRules.parse("tcp.smtp", List.of(lines));
    }

    private static Optional<AccessRule> lookup(AccessRules rules, String address) throws Exception {
        return rules.lookup(InetAddress.getByName(address));
    }

    /** The line number of the rule that applies, 0 for none. */
    private static int line(AccessRules rules, String address) throws Exception {
        return lookup(rules, address).map(AccessRule::line).orElse(0);
    }

    @Test
    void theMostSpecificAddressWinsWhateverTheOrder() throws Exception {
        AccessRules r = rules(
                ":allow",
                "10.:deny",
                "10.1.:allow",
                "10.1.2.:deny",
                "10.1.2.3:allow");
        assertTrue(r.problems().isEmpty(), r.problems().toString());
        assertEquals(5, line(r, "10.1.2.3"));
        assertEquals(4, line(r, "10.1.2.4"));
        assertEquals(3, line(r, "10.1.3.4"));
        assertEquals(2, line(r, "10.2.3.4"));
        assertEquals(1, line(r, "192.0.2.1"));
        assertEquals(1, line(r, "2001:db8::1"), "the empty address covers IPv6 clients too");
    }

    @Test
    void withoutAMatchingRuleTheClientIsAllowedWithNoVariables() throws Exception {
        assertEquals(Optional.empty(), lookup(rules("127.:allow,RELAYCLIENT=\"\""), "192.0.2.1"));
        assertEquals(Optional.empty(), lookup(rules(), "192.0.2.1"));
    }

    @Test
    void variablesAreSetWithAnyQuoteCharacter() throws Exception {
        AccessRule rule = lookup(rules("127.0.0.1:allow,RELAYCLIENT=\"\",TCPLOCALHOST=/mx.example/,N='5',Q=\"a,b\""),
                "127.0.0.1").orElseThrow();
        assertTrue(rule.allowed());
        assertEquals(Map.of("RELAYCLIENT", "", "TCPLOCALHOST", "mx.example", "N", "5", "Q", "a,b"), rule.variables());
        assertEquals("tcp.smtp:1 (127.0.0.1:allow,RELAYCLIENT=\"\",TCPLOCALHOST=/mx.example/,N='5',Q=\"a,b\")",
                rule.toString());
        AccessRule deny = lookup(rules("192.0.2.:deny"), "192.0.2.77").orElseThrow();
        assertFalse(deny.allowed());
    }

    @Test
    void rangesStandForOneRulePerValue() throws Exception {
        AccessRules r = rules("1.2.3.37-53:deny", "10.2-3.:allow,X=\"\"");
        assertTrue(r.problems().isEmpty(), r.problems().toString());
        assertEquals(0, line(r, "1.2.3.36"));
        assertEquals(1, line(r, "1.2.3.37"));
        assertEquals(1, line(r, "1.2.3.53"));
        assertEquals(0, line(r, "1.2.3.54"));
        assertEquals(0, line(r, "10.1.0.1"));
        assertEquals(2, line(r, "10.2.0.1"));
        assertEquals(2, line(r, "10.3.255.255"));
        assertEquals(0, line(r, "10.4.0.1"));
    }

    @Test
    void ipv6AndCidrExtendTheFormat() throws Exception {
        AccessRules r = rules(
                "2001:db8::/32:allow,WHITELISTED=\"\"",
                "2001:db8:1::/48:deny",
                "2001:db8:1::25:allow",
                "::1:allow,RELAYCLIENT=\"\"",
                "192.0.2.128/25:deny",
                "::ffff:198.51.100.0/120:allow,MAPPED=\"\"");
        assertTrue(r.problems().isEmpty(), r.problems().toString());
        assertEquals(1, line(r, "2001:db8:2::1"));
        assertEquals(2, line(r, "2001:db8:1::1"));
        assertEquals(3, line(r, "2001:db8:1::25"));
        assertEquals(4, line(r, "::1"));
        assertEquals(0, line(r, "2001:db9::1"));
        assertEquals(0, line(r, "192.0.2.127"));
        assertEquals(5, line(r, "192.0.2.128"));
        assertEquals(6, line(r, "198.51.100.9"), "a mapped network is an IPv4 network");
        assertEquals(0, line(r, "127.0.0.1"), "IPv6 rules say nothing about IPv4 clients");
    }

    @Test
    void ipv6PrefixesEndingWithAColonCoverWholeGroups() throws Exception {
        AccessRules r = rules(
                "2001:db8::allow,A=\"32\"",
                "2001:DB8:0::deny",
                "2001:db8:1:2:3:4:5::allow,A=\"112\"",
                "2001:db8::1::deny",
                "1:2:3:4:5:6:7:8::deny");
        assertEquals(1, line(r, "2001:db8:5::1"));
        assertEquals(2, line(r, "2001:db8::5"), "the network, though the address's text does not begin '2001:db8:0:'");
        assertEquals(3, line(r, "2001:db8:1:2:3:4:5:ffff"));
        assertEquals(1, line(r, "2001:db8:1:2:3:4:6:0"));
        assertEquals(0, line(r, "2001:db9::1"));
        assertEquals(4, line(r, "2001:db8::1:5"), "a prefix with '::' in it is a text prefix");
        List<String> problems = r.problems().stream().map(Object::toString).toList();
        assertEquals(1, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).startsWith("tcp.smtp:5: '1:2:3:4:5:6:7:8:' is neither"), problems.get(0));
    }

    /**
     * A prefix with {@code ::} in it, ending with a colon, is the beginning of the client's address text, as Debian's
     * ucspi-tcp-ipv6 reads it: these lines compiled by its tcprules, and each client below looked up by its
     * tcprulescheck, give the lines asserted here. {@code 2001:db8:::allow} was read as the one address
     * {@code 2001:db8::}, and {@code 2001:db8::1::allow} refused.
     */
    @Test
    void ipv6PrefixesWithDoubleColonsAreTheBeginningOfTheAddresssText() throws Exception {
        AccessRules r = rules(
                "2001:db8:::allow,A=\"dcolon\"",
                "2001:db8::1:allow,A=\"exact1\"",
                "2001:db8:1::allow,A=\"one\"",
                "2001:db8::1::allow,A=\"dcolon1\"",
                ":::allow,A=\"bare\"",
                "2001:DB8:::deny",
                "2001:db8::1:::deny",
                "2001:db8::1::2::deny");
        assertEquals(1, line(r, "2001:db8::5"));
        assertEquals(1, line(r, "2001:db8::"));
        assertEquals(2, line(r, "2001:db8::1"), "the exact address first");
        assertEquals(4, line(r, "2001:db8::1:2"), "the longest text prefix");
        assertEquals(3, line(r, "2001:db8:1::5"));
        assertEquals(0, line(r, "2001:db8:0:1::5"), "its text does not begin '2001:db8::'");
        assertEquals(0, line(r, "2001:db80::1"));
        assertEquals(5, line(r, "::1"));
        assertEquals(0, line(r, "127.0.0.1"), "an IPv4 client's text has no colon");
        List<String> problems = r.problems().stream().map(Object::toString).toList();
        assertEquals(3, problems.size(), String.join("\n", problems));
        assertEquals("tcp.smtp:6: the same address as line 1, which comes first; line never used", problems.get(0));
        assertTrue(problems.get(1).startsWith("tcp.smtp:7: '2001:db8::1::' is no beginning of an IPv6 address's text"),
                problems.get(1));
        assertTrue(problems.get(2).startsWith("tcp.smtp:8: '2001:db8::1::2:' is no beginning"), problems.get(2));
    }

    @Test
    void amongEqualAddressesTheFirstLineWinsAndTheOtherIsReported() throws Exception {
        AccessRules r = rules("127.0.0.1:allow,A=\"1\"", "127.0.0.1:deny", "127.0.0.:allow");
        assertEquals(1, line(r, "127.0.0.1"));
        assertEquals(2, r.ruleCount());
        assertEquals(List.of("tcp.smtp:2: the same address as line 1, which comes first; line never used"),
                r.problems().stream().map(Object::toString).toList());
    }

    @Test
    void commentsBlankLinesAndTrailingBlanksAreIgnored() throws Exception {
        AccessRules r = rules("# relay for the local machine", "", "   ", "127.:allow,RELAYCLIENT=\"\"  \t", "\r");
        assertTrue(r.problems().isEmpty(), r.problems().toString());
        assertEquals(1, r.ruleCount());
        assertEquals(4, line(r, "127.0.0.1"));
    }

    @Test
    void unusableLinesAreReportedAndTheRestLoads() throws Exception {
        AccessRules r = rules(
                "1.2.3.4:permit",
                "1.2.3.4:allowed",
                "1.2.3.4:allow,X",
                "1.2.3.4:allow,X=\"open",
                "=mx.example:allow",
                "joe@1.2.3.4:allow",
                "1.2.3:deny",
                "1.2.3.4.:deny",
                "1.2.300.:deny",
                "1.2.03.:deny",
                "1.2.9-3.:deny",
                "2001:db8::/129:deny",
                "2001:zz8::/32:deny",
                "10.:deny");
        assertEquals(1, r.ruleCount());
        assertEquals(14, line(r, "10.0.0.1"));
        List<String> problems = r.problems().stream().map(Object::toString).toList();
        assertEquals(13, problems.size(), String.join("\n", problems));
        assertEquals("tcp.smtp:1: no ':allow' or ':deny' after the address; line ignored", problems.get(0));
        assertEquals("tcp.smtp:2: expected ',NAME=\"VALUE\"' after 'allow', found 'ed'; line ignored", problems.get(1));
        assertTrue(problems.get(4).contains("host-name rules ('=mx.example') are not supported"), problems.get(4));
        assertTrue(problems.get(6).contains("'1.2.3' is neither an IPv4 address nor a prefix"), problems.get(6));
        assertTrue(problems.get(8).contains("'300' in '1.2.300.' is not a number from 0 to 255"), problems.get(8));
        for (int i = 0; i < problems.size(); i++) {
            assertTrue(problems.get(i).startsWith("tcp.smtp:" + (i + 1) + ": "), problems.get(i));
            assertTrue(problems.get(i).endsWith("; line ignored"), problems.get(i));
        }
    }

    @Test
    void reloadingFollowsTheFileAndKeepsTheLastGoodRules(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tcp.smtp"), "127.:allow,RELAYCLIENT=\"\"\n");
        MutableClock clock = new MutableClock();
        ReloadingAccessRules r = new ReloadingAccessRules(file, clock);
        InetAddress local = InetAddress.getByName("127.0.0.1");
        assertEquals(Map.of("RELAYCLIENT", ""), r.lookup(local).orElseThrow().variables());

        Files.writeString(file, "127.:deny\n# longer, so that the size changes too\n");
        r.checkForChanges();
        assertTrue(r.lookup(local).orElseThrow().allowed(), "not looked at again within the check interval");
        clock.advance(java.time.Duration.ofMillis(ReloadingAccessRules.CHECK_INTERVAL_MILLIS));
        assertTrue(r.lookup(local).orElseThrow().allowed(), "a lookup alone never looks at the file");
        r.checkForChanges();
        assertFalse(r.lookup(local).orElseThrow().allowed(), "the edit is seen at the timer's next check");

        Files.delete(file);
        assertFalse(r.reload(), "an unreadable file keeps the rules in force");
        assertFalse(r.lookup(local).orElseThrow().allowed());
        Files.writeString(file, ":allow,FROM_RELOAD=\"\"\n");
        assertTrue(r.reload());
        assertEquals(Map.of("FROM_RELOAD", ""), r.lookup(local).orElseThrow().variables());
    }

    @Test
    void aReloadWithMalformedLinesKeepsTheRulesInForceWhole(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tcp.smtp"), "127.0.0.9:deny\n");
        MutableClock clock = new MutableClock();
        AtomicInteger failures = new AtomicInteger();
        ReloadingAccessRules r = new ReloadingAccessRules(file, clock, failures::incrementAndGet);
        InetAddress denied = InetAddress.getByName("127.0.0.9");

        Files.writeString(file, ":allow\n127.0.0.9:alow\n");
        assertFalse(r.reload(), "a malformed line: not reloaded");
        assertFalse(r.lookup(denied).orElseThrow().allowed(), "the old deny stays");
        assertEquals(1, failures.get());
        for (int i = 0; i < 3; i++) {
            clock.advance(java.time.Duration.ofMillis(ReloadingAccessRules.CHECK_INTERVAL_MILLIS));
            r.lookup(denied);
        }
        assertEquals(1, failures.get(), "the same broken file is not read again every second");

        // Lines tcprules accepts but greylited does not use are not errors: a shared /etc/tcp.smtp reloads.
        Files.writeString(file, "=mx.example.org:allow\nuser@127.0.0.9:allow\n:allow\n:deny\n");
        assertTrue(r.reload());
        assertTrue(r.lookup(denied).orElseThrow().allowed());
        assertEquals(3, r.current().problems().size());
        assertTrue(r.current().errors().isEmpty());
        assertEquals(1, failures.get());

        Files.delete(file);
        assertFalse(r.reload());
        assertEquals(2, failures.get(), "an unreadable file is a failed reload too");
    }

    @Test
    void atStartMalformedLinesAreSkipped(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tcp.smtp"), "127.0.0.9:alow\n127.0.0.8:deny\n");
        ReloadingAccessRules r = new ReloadingAccessRules(file, new MutableClock());
        assertFalse(r.lookup(InetAddress.getByName("127.0.0.8")).orElseThrow().allowed());
        assertEquals(1, r.current().errors().size());
    }
}
