package org.greylite.smtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class ReplyAssemblerTest {

    /** A greeting, a multi-line EHLO reply, a bare code, LF-only endings and a multi-line 4xx. */
    private static final String[] REPLIES = {
        "220 mx.example.org ESMTP ready\r\n",
        "250-mx.example.org Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
        "250\r\n",
        "354 End data with <CR><LF>.<CR><LF>\n",
        "451-4.7.1 first line\n451 4.7.1 second line\r\n",
        "250-\r\n250 \r\n",
        "221 2.0.0 Bye\r\n",
    };

    private static final String STREAM = String.join("", REPLIES);

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Feeds the pieces in order and returns every reply that came out. */
    private static List<Reply> feed(ReplyAssembler a, byte[]... pieces) throws SmtpProtocolException {
        List<Reply> out = new ArrayList<>();
        for (byte[] p : pieces) {
            a.feed(ByteBuffer.wrap(p), out::add);
        }
        return out;
    }

    private static void assertExpectedReplies(List<Reply> got, String where) {
        assertEquals(REPLIES.length, got.size(), where);
        for (int i = 0; i < REPLIES.length; i++) {
            assertEquals(REPLIES[i], new String(got.get(i).raw(), StandardCharsets.ISO_8859_1), where + ", reply " + i);
        }
    }

    @Test
    void wholeStreamGivesEachReplyWithItsExactBytes() throws Exception {
        List<Reply> got = feed(new ReplyAssembler(512), bytes(STREAM));
        assertExpectedReplies(got, "one piece");

        assertEquals(220, got.get(0).code());
        assertEquals(List.of("mx.example.org ESMTP ready"), got.get(0).lines());
        assertEquals(250, got.get(1).code());
        assertEquals(List.of("mx.example.org Hello", "PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"),
                got.get(1).lines());
        assertEquals(250, got.get(2).code());
        assertEquals(List.of(""), got.get(2).lines());
        assertEquals(354, got.get(3).code());
        assertEquals(451, got.get(4).code());
        assertEquals(List.of("4.7.1 first line", "4.7.1 second line"), got.get(4).lines());
        assertEquals(List.of("", ""), got.get(5).lines());
        assertEquals(221, got.get(6).code());
    }

    @Test
    void everySplitIntoTwoOrThreePiecesGivesTheSameReplies() throws Exception {
        byte[] all = bytes(STREAM);
        for (int i = 0; i <= all.length; i++) {
            for (int j = i; j <= all.length; j++) {
                List<Reply> got = feed(new ReplyAssembler(512),
                        Arrays.copyOfRange(all, 0, i), Arrays.copyOfRange(all, i, j), Arrays.copyOfRange(all, j, all.length));
                assertExpectedReplies(got, "cut at " + i + " and " + j);
            }
        }
    }

    @Test
    void onePieceAtATimeGivesTheSameReplies() throws Exception {
        ReplyAssembler a = new ReplyAssembler(512);
        List<Reply> got = new ArrayList<>();
        for (byte b : bytes(STREAM)) {
            a.feed(ByteBuffer.wrap(new byte[] {b}), got::add);
        }
        assertExpectedReplies(got, "byte by byte");
    }

    @Test
    void aReplyComesOutOnlyWhenItsLastLineIsComplete() throws Exception {
        ReplyAssembler a = new ReplyAssembler(512);
        List<Reply> got = new ArrayList<>();
        a.feed(ByteBuffer.wrap(bytes("250-mx\r\n250-PIPELINING\r\n250 8BIT")), got::add);
        assertTrue(got.isEmpty());
        a.feed(ByteBuffer.wrap(bytes("MIME\r")), got::add);
        assertTrue(got.isEmpty(), "the CR alone does not end the line");
        a.feed(ByteBuffer.wrap(bytes("\n220 next")), got::add);
        assertEquals(1, got.size());
        assertArrayEquals(bytes("250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n"), got.get(0).raw());
    }

    @Test
    void readsFromTheBufferPosition() throws Exception {
        ByteBuffer b = ByteBuffer.wrap(bytes("xx250 ok\r\nyy"));
        b.position(2).limit(10);
        List<Reply> got = new ArrayList<>();
        new ReplyAssembler(512).feed(b, got::add);
        assertEquals(1, got.size());
        assertArrayEquals(bytes("250 ok\r\n"), got.get(0).raw());
    }

    @Test
    void aLineThatIsNoReplyIsAProtocolError() {
        for (String bad : new String[] {"hello\r\n", "25\r\n", "2x0 ok\r\n", "250x\r\n", "\r\n", "\n", "250-a\r\nfoo\r\n",
                "250-a\r\n\r\n", " 250 ok\r\n", "666 ok\r\n", "100 continue\r\n", "099 ok\r\n"}) {
            SmtpProtocolException e = assertThrows(SmtpProtocolException.class,
                    () -> feed(new ReplyAssembler(512), bytes(bad)), bad);
            assertTrue(e.getMessage().startsWith("not an SMTP reply line"), e.getMessage());
        }
    }

    @Test
    void theErrorMessageShowsNoControlCharacters() {
        SmtpProtocolException e = assertThrows(SmtpProtocolException.class,
                () -> feed(new ReplyAssembler(512), bytes("HTTP/1.1\u001b[31m 400\r\n")));
        assertTrue(e.getMessage().contains("HTTP/1.1?[31m 400"), e.getMessage());
    }

    @Test
    void repliesBeforeAGarbledLineAreStillDelivered() {
        ReplyAssembler a = new ReplyAssembler(512);
        List<Reply> got = new ArrayList<>();
        assertThrows(SmtpProtocolException.class,
                () -> a.feed(ByteBuffer.wrap(bytes("220 hi\r\n250 ok\r\nGET / HTTP/1.0\r\n")), got::add));
        assertEquals(2, got.size());
    }

    /** The limit counts the whole line, its ending included (as the command line limit does). */
    @Test
    void aLineOfTheLimitPassesAndALongerOneFailsWhereverItIsCut() throws Exception {
        int max = 512;
        String fits = "250 " + "a".repeat(max - 6) + "\r\n";
        String tooLong = "250 " + "a".repeat(max - 5) + "\r\n";
        assertEquals(max, fits.length());
        byte[] ok = bytes("220 hi\r\n" + fits);
        byte[] bad = bytes("220 hi\r\n" + tooLong + "250 after\r\n");
        for (int i = 0; i <= ok.length; i++) {
            List<Reply> got = feed(new ReplyAssembler(max), Arrays.copyOfRange(ok, 0, i), Arrays.copyOfRange(ok, i, ok.length));
            assertEquals(2, got.size(), "cut at " + i);
            assertArrayEquals(bytes(fits), got.get(1).raw());
        }
        for (int i = 0; i <= bad.length; i++) {
            ReplyAssembler a = new ReplyAssembler(max);
            List<Reply> got = new ArrayList<>();
            byte[] first = Arrays.copyOfRange(bad, 0, i);
            byte[] second = Arrays.copyOfRange(bad, i, bad.length);
            SmtpProtocolException e = assertThrows(SmtpProtocolException.class, () -> {
                a.feed(ByteBuffer.wrap(first), got::add);
                a.feed(ByteBuffer.wrap(second), got::add);
            }, "cut at " + i);
            assertTrue(e.getMessage().contains("longer than " + max), e.getMessage());
            assertEquals(1, got.size(), "the greeting before the long line came out, cut at " + i);
        }
    }

    @Test
    void anEndlessLineFailsBeforeItsEndArrives() throws Exception {
        ReplyAssembler a = new ReplyAssembler(512);
        List<Reply> got = new ArrayList<>();
        a.feed(ByteBuffer.wrap(bytes("250 " + "x".repeat(500))), got::add);
        assertThrows(SmtpProtocolException.class, () -> a.feed(ByteBuffer.wrap(bytes("x".repeat(100))), got::add));
        assertTrue(got.isEmpty());
    }

    @Test
    void aLongMultiLineReplyIsFineWhenEachLineIsShort() throws Exception {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            s.append("250-EXTENSION").append(i).append("\r\n");
        }
        s.append("250 LAST\r\n");
        List<Reply> got = feed(new ReplyAssembler(64), bytes(s.toString()));
        assertEquals(1, got.size());
        assertEquals(101, got.get(0).lines().size());
    }
}
