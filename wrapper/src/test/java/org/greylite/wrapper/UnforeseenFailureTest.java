package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ThrowOnce;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A RCPT whose decision fails in a way nothing foresaw (a stack too deep, a class a package upgrade took away, a
 * heap too small): it is answered as on a greydb failure and the session goes on. The failure is thrown by the
 * clock the decision reads, once; PROGRAM is a real child process, the greydb a real SQLite file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnforeseenFailureTest {

    @TempDir
    Path dir;

    /** The system's clock, whose first reading throws {@code failure}. */
    private static Clock failingOnce(ThrowOnce failure) {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                failure.now();
                return Instant.now();
            }
        };
    }

    /** EHLO and MAIL, then the RCPT's reply; the session must go on to its QUIT. */
    private String rcptWith(Class<? extends Throwable> kind, String... pairs) throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), Harness.env(dir.resolve("greylite.db"), pairs), 0,
                failingOnce(ThrowOnce.of(kind)))) {
            assertEquals("220 upstream ESMTP", h.reply());
            assertEquals("250 8BITMIME", h.command("EHLO client.example"));
            assertEquals("250 ok", h.command("MAIL FROM:<a@example.org>"));
            String reply = h.command("RCPT TO:<b@example.com>");
            assertTrue(h.command("RCPT TO:<c@example.com>").startsWith("451 4.7.1 <c@example.com>: greylisted"),
                    "the next RCPT is decided as usual");
            assertEquals("221 bye", h.command("QUIT"));
            assertTrue(h.closedByServer());
            assertEquals(0, h.exitStatus());
            return reply;
        }
    }

    @Test
    void anOutOfMemoryErrorIsAnsweredAsAGreydbFailure() throws Exception {
        assertEquals("250 ok", rcptWith(OutOfMemoryError.class), "fail open: the RCPT went to PROGRAM");
    }

    @Test
    void aStackTooDeepIsAnsweredAsAGreydbFailure() throws Exception {
        assertEquals("250 ok", rcptWith(StackOverflowError.class));
    }

    @Test
    void aClassThatCannotBeLoadedIsAnswered451WhenFailingClosed() throws Exception {
        String reply = rcptWith(NoClassDefFoundError.class, "GREYLITE_FAIL_CLOSED", "1");
        assertTrue(reply.startsWith("451 4.3.0 "), reply);
    }
}
