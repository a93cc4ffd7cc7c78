package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The N of {@code X-Greylist: delayed N seconds}, through the real service over its TCP socket, against the time the
 * client itself saw pass between its first attempt and the retry that passed: N must be that delay to the second.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyDelayedHeaderTest {

    private static final Pattern DELAYED = Pattern.compile("^PREPEND X-Greylist: delayed (\\d+) seconds by ");

    @TempDir
    Path dir;

    private RunningPolicy policy;

    @AfterEach
    void stop() {
        if (policy != null) {
            policy.close();
        }
    }

    /**
     * The first attempt early in a second (x.1 s: the greydb records it as x+1, rounded up) and the retry late in a
     * later one (3.8 s after it, past the 2 s min-delay counted from x+1): the case where the figure cut off from
     * the recorded time said 2 seconds for a delay of 3.8.
     */
    @Test
    void theDelayIsTheWallClockWaitToTheSecond() throws Exception {
        policy = TestPolicy.start(dir, "--delay=2", "--hostname=mx.example.org");
        try (PolicyClient c = PolicyClient.tcp(policy.tcpAddress())) {
            Map<String, String> rcpt = PolicyClient.rcpt("192.0.2.44", "a@example.net", "b@example.org");
            // A first request warms the service up, so that the timed ones are not slowed by its first use.
            assertTrue(c.ask(PolicyClient.rcpt("192.0.2.45", "w@example.net", "w@example.org")).startsWith("DEFER_IF_PERMIT"));

            sleepUntilMillisIntoASecond(100);
            long firstSent = System.currentTimeMillis();
            assertTrue(c.ask(rcpt).startsWith("DEFER_IF_PERMIT"));
            long firstAnswered = System.currentTimeMillis();

            Thread.sleep(Math.max(0, firstSent + 3_800 - System.currentTimeMillis()));
            long retrySent = System.currentTimeMillis();
            String pass = c.ask(rcpt);
            long passAnswered = System.currentTimeMillis();

            Matcher m = DELAYED.matcher(pass);
            assertTrue(m.find(), pass);
            long n = Long.parseLong(m.group(1));
            // The service saw the delay D between these two bounds; N is D rounded down or up.
            long shortest = retrySent - firstAnswered;
            long longest = passAnswered - firstSent;
            assertTrue(n >= shortest / 1000 && n <= (longest + 999) / 1000, "N = " + n + " for a delay of "
                    + shortest + " to " + longest + " ms");
        }
    }

    /** Sleeps until the wall clock is {@code millis} into a second (or a little past it). */
    private static void sleepUntilMillisIntoASecond(int millis) throws InterruptedException {
        long into = System.currentTimeMillis() % 1000;
        Thread.sleep((millis - into + 1000) % 1000);
    }
}
