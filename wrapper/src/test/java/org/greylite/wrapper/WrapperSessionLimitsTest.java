package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wrapper's bounds in time, with real child processes as PROGRAM: the greeting's own timeout
 * ({@code GREYLITE_GREETING_TIMEOUT}) and the session deadline ({@code GREYLITE_SESSION_DEADLINE}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WrapperSessionLimitsTest {

    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        return Harness.env(dir.resolve("greylite.db"), Harness.pairs(new String[] {"TCPLOCALHOST", "mx.test"}, pairs));
    }

    @Test
    void aProgramThatNeverGreetsIsGivenUpAtTheGreetingTimeout() throws Exception {
        // GREYLITE_UPSTREAM_TIMEOUT stays at its 10 minutes: the greeting has a bound of its own.
        try (Harness h = Harness.start(List.of("sh", "-c", "sleep 60"), env("GREYLITE_GREETING_TIMEOUT", "1"))) {
            long t0 = System.nanoTime();
            assertEquals("421 4.3.0 mx.test service temporarily unavailable, closing connection", h.reply());
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 15);
            assertTrue(h.closedByServer());
        }
    }

    @Test
    void aSlowGreetingWithinItsTimeoutIsWaitedForPastTheUpstreamTimeout() throws Exception {
        List<String> slowToGreet = List.of("sh", "-c", "sleep 3; exec sh -c \"$0\"", Harness.SMTPD);
        try (Harness h = Harness.start(slowToGreet, env("GREYLITE_UPSTREAM_TIMEOUT", "1"))) {
            assertEquals("220 upstream ESMTP", h.reply());
            assertEquals("221 bye", h.command("QUIT"));
        }
    }

    @Test
    void theSessionDeadlineCutsAMessageAndProgramDiesWithIt() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env("RELAYCLIENT", "", "GREYLITE_SESSION_DEADLINE", "2"))) {
            assertEquals("220 upstream ESMTP", h.reply());
            h.command("EHLO client.example");
            h.command("MAIL FROM:<a@example.org>");
            assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"));
            assertEquals("354 go ahead", h.command("DATA"));
            String reply = null;
            h.client.setSoTimeout(200);
            for (int i = 0; reply == null && i < 100; i++) {
                h.send("line " + i + " of a message sent slowly\r\n");
                try {
                    reply = h.reply();
                } catch (java.net.SocketTimeoutException e) {
                    // the message goes on
                }
            }
            h.client.setSoTimeout(20_000);
            assertEquals("421 4.7.0 mx.test Error: session too long, closing connection", reply);
            assertTrue(h.closedByServer());
            assertNotEquals(0, h.exitStatus(), "PROGRAM was killed mid-message, so it delivered nothing");
        }
    }
}
