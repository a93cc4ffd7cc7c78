package org.greylite.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class CommandDecoderTest {

    /** Feeds {@code text} in pieces cut at {@code cuts}, pulling lines as they complete; "!" stands for TOO_LONG. */
    private static List<String> decode(int maxLine, String text, int... cuts) {
        CommandDecoder d = new CommandDecoder(maxLine);
        ByteQueue in = new ByteQueue();
        List<String> out = new ArrayList<>();
        int from = 0;
        int[] ends = new int[cuts.length + 1];
        System.arraycopy(cuts, 0, ends, 0, cuts.length);
        ends[cuts.length] = text.length();
        for (int end : ends) {
            in.append(ByteBuffer.wrap(text.substring(from, end).getBytes(StandardCharsets.ISO_8859_1)));
            from = end;
            while (true) {
                CommandDecoder.Outcome o = d.next(in, false);
                if (o == CommandDecoder.Outcome.NEED_MORE) {
                    break;
                }
                if (o == CommandDecoder.Outcome.LINE) {
                    out.add(new String(d.line().raw(), StandardCharsets.ISO_8859_1));
                } else if (o == CommandDecoder.Outcome.TOO_LONG) {
                    out.add("!");
                }
            }
        }
        return out;
    }

    private static void assertEveryCut(int maxLine, String text, List<String> expected) {
        assertEquals(expected, decode(maxLine, text));
        for (int i = 0; i <= text.length(); i++) {
            for (int j = i; j <= text.length(); j++) {
                assertEquals(expected, decode(maxLine, text, i, j), "cut at " + i + " and " + j);
            }
        }
    }

    @Test
    void linesComeWholeWhereverTheInputIsCut() {
        assertEveryCut(512, "EHLO a\r\nMAIL FROM:<x@y>\r\nQUIT\r\n",
                List.of("EHLO a\r\n", "MAIL FROM:<x@y>\r\n", "QUIT\r\n"));
    }

    @Test
    void aBareLfEndsALineThatGoesOnEndedByCrLf() {
        assertEveryCut(512, "NOOP\nRSET\r\nQUIT\n", List.of("NOOP\r\n", "RSET\r\n", "QUIT\r\n"));
    }

    @Test
    void anOverLongLineIsRefusedOnceAndItsTailIsNeverACommand() {
        String longLine = "NOOP " + "x".repeat(600) + "\r\n";
        assertEveryCut(512, longLine + "QUIT\r\n", List.of("!", "QUIT\r\n"));
    }

    @Test
    void aLineOfExactlyTheLimitIsAccepted() {
        String line = "NOOP " + "x".repeat(512 - 7) + "\r\n";
        assertEquals(List.of(line), decode(512, line));
        assertEquals(List.of("!"), decode(512, "NOOP " + "x".repeat(512 - 6) + "\r\n"));
    }

    @Test
    void authLinesAndSaslResponsesMayBeLonger() {
        String auth = "AUTH GSSAPI " + "x".repeat(5000) + "\r\n";
        assertEquals(List.of(auth), decode(512, auth));
        CommandDecoder d = new CommandDecoder(512);
        ByteQueue in = new ByteQueue();
        String response = "y".repeat(5000) + "\r\n";
        in.append(ByteBuffer.wrap(response.getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals(CommandDecoder.Outcome.LINE, d.next(in, true));
        in.append(ByteBuffer.wrap(response.getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals(CommandDecoder.Outcome.TOO_LONG, d.next(in, false), "only as a SASL response");
    }

    @Test
    void theNextVerbCanBeSeenBeforeTheLineIsTaken() {
        CommandDecoder d = new CommandDecoder(512);
        ByteQueue in = new ByteQueue();
        in.append(ByteBuffer.wrap("bDaT 5 LAST\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertTrue(d.nextLineStartsWith(in, "bdat"));
        assertFalse(d.nextLineStartsWith(in, "data"));
        assertEquals(CommandDecoder.Outcome.LINE, d.next(in, false));
        assertEquals("BDAT", d.line().verb());
    }
}
