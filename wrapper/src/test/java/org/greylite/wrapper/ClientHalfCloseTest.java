package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that shuts down its sending side once it has said everything (as a script may): every command it sent
 * is still answered, a message it sent whole is delivered, and then the session ends and greylite exits. Only a
 * message cut off by the end of input is dropped.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientHalfCloseTest {

    /**
     * {@link Harness#SMTPD} with CHUNKING: a BDAT chunk is read (dd takes exactly its size from the pipe) and
     * appended to $MESSAGE, and its size to $QUEUED once it is answered.
     */
    static final String CHUNKING_SMTPD = String.join("\n",
            "CR=$(printf '\\r')",
            "printf '220 upstream ESMTP\\r\\n'",
            "while IFS= read -r line; do",
            "  line=${line%\"$CR\"}",
            "  case \"$line\" in",
            "    [Ee][Hh][Ll][Oo]*) printf '250-upstream\\r\\n250-PIPELINING\\r\\n250 CHUNKING\\r\\n' ;;",
            "    [Bb][Dd][Aa][Tt]\\ *) set -- $line",
            "      dd bs=1 count=\"$2\" 2>/dev/null >> \"$MESSAGE\"",
            "      printf '250 %s octets queued\\r\\n' \"$2\"; echo \"$2\" >> \"$QUEUED\" ;;",
            "    [Qq][Uu][Ii][Tt]) printf '221 bye\\r\\n'; exit 0 ;;",
            "    *) printf '250 ok\\r\\n' ;;",
            "  esac",
            "done");

    @TempDir
    Path dir;

    private Map<String, String> env(String... pairs) {
        return Harness.env(dir.resolve("greylite.db"), Harness.pairs(new String[] {"GREYLITE_MIN_DELAY", "0",
                "MESSAGE", dir.resolve("message").toString(), "QUEUED", dir.resolve("queued").toString()}, pairs));
    }

    private static List<String> program() {
        return List.of("sh", "-c", CHUNKING_SMTPD);
    }

    @Test
    void aPipelinedBdatMessageIsAnsweredAndDeliveredThenGreyliteExits() throws Exception {
        String message = "Subject: half-closed\r\n\r\nsent whole, then the client said no more\r\n";
        // The first attempt is greylisted, and answered although the client sent its QUIT with its end of input.
        try (Harness h = Harness.start(program(), env())) {
            assertEquals("220 upstream ESMTP", h.reply());
            h.send("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nQUIT\r\n");
            h.client.shutdownOutput();
            assertEquals("250 CHUNKING", h.reply());
            assertEquals("250 ok", h.reply());
            assertTrue(h.reply().startsWith("451 4.7.1 <b@example.com>: greylisted"));
            assertEquals("221 bye", h.reply());
            assertTrue(h.closedByServer());
            assertEquals(0, h.exitStatus());
        }
        // The retry passes (minimum delay 0): the whole dialogue in one write, then the end of input.
        try (Harness h = Harness.start(program(), env())) {
            assertEquals("220 upstream ESMTP", h.reply());
            h.send("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
                    + "BDAT " + message.length() + " LAST\r\n" + message);
            h.client.shutdownOutput();
            assertEquals("250 CHUNKING", h.reply());
            assertEquals("250 ok", h.reply());
            assertEquals("250 ok", h.reply(), "the retry passes");
            assertEquals("250 " + message.length() + " octets queued", h.reply());
            assertTrue(h.closedByServer(), "the session ends once everything is answered");
            assertEquals(0, h.exitStatus(), "greylite exits with PROGRAM's status: it read the end of its input");
        }
        assertEquals(message, Files.readString(dir.resolve("message"), StandardCharsets.US_ASCII));
        assertEquals(message.length() + "\n", Files.readString(dir.resolve("queued")));
    }

    @Test
    void aClientThatEndsItsInputWithoutQuitGetsItsReplyThenTheEnd() throws Exception {
        try (Harness h = Harness.start(program(), env())) {
            assertEquals("220 upstream ESMTP", h.reply());
            h.send("NOOP\r\n");
            h.client.shutdownOutput();
            assertEquals("250 ok", h.reply());
            assertTrue(h.closedByServer());
            assertEquals(0, h.exitStatus());
        }
    }

    @Test
    void aChunkCutOffByTheEndOfInputIsNeverDelivered() throws Exception {
        try (Harness h = Harness.start(program(), env("RELAYCLIENT", ""))) {
            assertEquals("220 upstream ESMTP", h.reply());
            h.send("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
                    + "BDAT 1000 LAST\r\nSubject: cut off\r\n");
            h.client.shutdownOutput();
            // The replies to MAIL and RCPT come or not, as they are in before the cut is seen: PROGRAM is then
            // dropped with whatever it still owed. None says anything of the chunk.
            List<String> replies = new ArrayList<>();
            for (String r = h.reply(); !r.equals("EOF"); r = h.reply()) {
                replies.add(r);
            }
            assertTrue(replies.stream().noneMatch(r -> r.contains("queued")), replies.toString());
            assertEquals(128 + 15, h.exitStatus(), "PROGRAM terminated with SIGTERM, mid-chunk");
        }
        assertFalse(Files.exists(dir.resolve("queued")), "PROGRAM never took the cut-off chunk for a message");
    }
}
