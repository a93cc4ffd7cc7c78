package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What is decided at which protocol_state, and the answers, through the real service, engine and greydb. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyDecisionsTest {

    @TempDir
    Path dir;

    private RunningPolicy policy;

    @AfterEach
    void stop() {
        if (policy != null) {
            policy.close();
        }
    }

    private PolicyClient start(String... flags) throws Exception {
        policy = TestPolicy.start(dir, flags);
        return PolicyClient.tcp(policy.tcpAddress());
    }

    private static Map<String, String> at(String state, Map<String, String> request) {
        Map<String, String> r = new LinkedHashMap<>(request);
        r.put("protocol_state", state);
        return r;
    }

    @Test
    void nullSenderIsDecidedAtDataOverItsRecipients() throws Exception {
        try (PolicyClient c = start()) {
            Map<String, String> one = PolicyClient.rcpt("192.0.2.30", "", "one@example.org");
            Map<String, String> two = new LinkedHashMap<>(PolicyClient.rcpt("192.0.2.30", "", "two@example.org"));
            two.put("instance", one.get("instance"));
            assertEquals("DUNNO", c.ask(one));
            assertEquals("DUNNO", c.ask(two));
            Map<String, String> data = at("DATA", one);
            data.put("recipient", "");
            data.put("recipient_count", "2");
            assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 300 seconds", c.ask(data));
            // END-OF-MESSAGE of a message decided at DATA: nothing more to say.
            assertEquals("DUNNO", c.ask(at("END-OF-MESSAGE", one)));
        }
    }
}
