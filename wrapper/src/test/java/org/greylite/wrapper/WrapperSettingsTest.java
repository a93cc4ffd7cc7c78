package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decision settings the wrapper reads from the settings model, each through a real session: PROGRAM a
 * real child process, the greydb a real SQLite file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WrapperSettingsTest {

    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        return Harness.env(dir.resolve("greylite.db"), pairs);
    }

    @Test
    void theGreylistReplyComesFromItsVariable() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(),
                env("GREYLITE_GREYLIST_REPLY", "450 4.7.1 <{rcpt}>: come back in {seconds}s"))) {
            h.reply();
            h.command("MAIL FROM:<a@example.org>");
            // 300 s of min-delay, and the rest of the second the refusal is recorded in (see RecordedTimes).
            String reply = h.command("RCPT TO:<b@example.com>");
            assertTrue(reply.matches("450 4\\.7\\.1 <b@example\\.com>: come back in 30[01]s"), reply);
            assertEquals("221 bye", h.command("QUIT"));
            assertEquals(0, h.exitStatus());
        }
    }

    @Test
    void theGreylistReplyNamesTheRecipientAsTheClientSentIt() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env())) {
            h.reply();
            h.command("MAIL FROM:<a@example.org>");
            // A {seconds} in the address is the client's text, not a place for the wait.
            String reply = h.command("RCPT TO:<{seconds}@example.com>");
            assertTrue(reply.matches("451 4\\.7\\.1 <\\{seconds}@example\\.com>: greylisted, please retry in "
                    + "30[01] seconds"), reply);
            assertEquals("221 bye", h.command("QUIT"));
        }
    }

    @Test
    void failClosedAnswers451WhenTheGreydbCannotBeOpened() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
        String db = file.resolve("greylite.db").toString();
        try (Harness h = Harness.start(Harness.smtpd(), env("DBFILE", db, "GREYLITE_FAIL_CLOSED", ""))) {
            h.reply();
            h.command("MAIL FROM:<a@example.org>");
            assertTrue(h.command("RCPT TO:<b@example.com>").startsWith("451 4.3.0 "), "set (even empty) means on");
            assertEquals("221 bye", h.command("QUIT"));
        }
        try (Harness h = Harness.start(Harness.smtpd(), env("DBFILE", db, "GREYLITE_FAIL_CLOSED", "no"))) {
            h.reply();
            h.command("MAIL FROM:<a@example.org>");
            assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"), "'no' means off: greydb errors fail open");
            assertEquals("221 bye", h.command("QUIT"));
        }
    }

    @Test
    void theLineLimitComesFromItsVariable() throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), env("GREYLITE_MAX_LINE", "600"))) {
            h.reply();
            assertTrue(h.command("NOOP " + "x".repeat(700)).startsWith("500 5.5.2"), "over 600 bytes");
            assertEquals("250 ok", h.command("NOOP " + "x".repeat(500)));
            assertEquals("221 bye", h.command("QUIT"));
        }
    }

    @Test
    void aGreylistingReplyLongerThanAnSmtpReplyLineRefusesTheConnection() throws Exception {
        // 513 octets once {rcpt} shows the longest recipient (256 characters and "..."): over RFC 5321's 512 with CRLF.
        String reply = "451 4.7.1 <{rcpt}>: " + "x".repeat(240);
        try (Harness h = Harness.start(Harness.smtpd(), env("GREYLITE_GREYLIST_REPLY", reply))) {
            assertTrue(h.reply().startsWith("421 4.3.0 "));
            assertEquals(Greylite.EXIT_TEMPORARY, h.exitStatus());
            assertTrue(h.errors().startsWith("greylite: GREYLITE_GREYLIST_REPLY: the greylisting reply must fit an SMTP"
                    + " reply line of 512 octets"), h.errors());
        }
    }

    @Test
    void aBadValueRefusesTheConnectionNamingItsVariable() throws Exception {
        Path started = dir.resolve("started");
        try (Harness h = Harness.start(Harness.smtpd(),
                env("GREYLITE_GREYLIST_REPLY", "250 fine", "STARTED", started.toString()))) {
            assertTrue(h.reply().startsWith("421 4.3.0 "));
            assertEquals(Greylite.EXIT_TEMPORARY, h.exitStatus());
            assertTrue(h.errors().startsWith("greylite: GREYLITE_GREYLIST_REPLY: the greylisting reply must be a 4xx"),
                    h.errors());
        }
        assertFalse(Files.exists(started));
        try (Harness h = Harness.start(Harness.smtpd(), env("GREYLITE_BUSY_TIMEOUT", "a while"))) {
            assertTrue(h.reply().startsWith("421 4.3.0 "));
            assertTrue(h.errors().startsWith("greylite: GREYLITE_BUSY_TIMEOUT: "), h.errors());
        }
    }
}
