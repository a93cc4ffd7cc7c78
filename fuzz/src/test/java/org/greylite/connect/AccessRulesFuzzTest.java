package org.greylite.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * An access file as an administrator might mistype it: every line either becomes a rule or a problem naming its
 * line, parsing never fails, and looking a client up never fails.
 */
class AccessRulesFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void everyLineIsARuleOrAProblem(FuzzedDataProvider data) throws UnknownHostException {
        byte[] address = data.consumeBoolean() ? data.consumeBytes(4) : data.consumeBytes(16);
        String text = data.consumeRemainingAsString();
        List<String> lines = text.lines().toList();
        AccessRules rules = AccessRules.parse("tcp.smtp", lines);
        assertTrue(rules.ruleCount() <= lines.size());
        rules.problems().forEach(p -> {
            assertEquals("tcp.smtp", p.file());
            assertTrue(p.line() >= 1 && p.line() <= lines.size(), "line " + p.line());
        });
        if (address.length == 4 || address.length == 16) {
            rules.lookup(InetAddress.getByAddress(address));
        }
    }
}
