package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.FakeWallClock;
import org.greylite.testing.JavaProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylite-policy as a real process whose wall clock is stepped, as NTP steps a host's (libfaketime in its process
 * only: the machine's clock, and the service's monotonic clock, stay as they are).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PolicyWallClockStepTest {

    @TempDir
    Path dir;

    /**
     * A bounce's recipients wait in the service's memory from its RCPT requests to its DATA request, where they are
     * decided. A step forward of the wall clock between the two, longer than the ten minutes a message is remembered
     * idle, made the service forget them: the DATA found no recipient to decide and the bounce went in ungreylisted.
     */
    @Test
    void aBounceWhoseDataComesAfterTheClockSteppedForwardIsStillGreylisted() throws Exception {
        FakeWallClock clock = FakeWallClock.in(dir);
        try (JavaProgram p = PolicyProcess.start(dir, clock.environment(), "--inet=127.0.0.1:0")) {
            String line = p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)));
            try (PolicyClient c = PolicyClient.tcp(address)) {
                Map<String, String> rcpt = PolicyClient.rcpt("192.0.2.7", "", "b@example.org");
                assertEquals("DUNNO", c.ask(rcpt), "the null sender's recipient waits for its DATA");

                clock.step(Duration.ofDays(1));

                Map<String, String> data = new LinkedHashMap<>(rcpt);
                data.put("protocol_state", "DATA");
                data.put("recipient", "");
                data.put("recipient_count", "1");
                assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds", c.ask(data), p.output());
            }
        }
    }
}
