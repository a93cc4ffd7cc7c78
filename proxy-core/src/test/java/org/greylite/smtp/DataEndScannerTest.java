package org.greylite.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class DataEndScannerTest {

    /** The outcome of scanning a whole stream: where the end was found (or -1) and the ambiguity flag. */
    private record Outcome(int end, boolean ambiguous) {
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Scans {@code text} cut at the given offsets. Each piece is copied into a larger array at an
     * offset, so the test also checks that the scanner honours {@code off} and returns a position in
     * the caller's array.
     */
    private static Outcome scan(DataEndScanner s, String text, int... cuts) {
        byte[] all = bytes(text);
        List<int[]> pieces = new ArrayList<>();
        int from = 0;
        for (int c : cuts) {
            pieces.add(new int[] {from, c});
            from = c;
        }
        pieces.add(new int[] {from, all.length});
        for (int[] p : pieces) {
            int len = p[1] - p[0];
            byte[] buf = new byte[len + 10];
            System.arraycopy(all, p[0], buf, 7, len);
            int r = s.scan(buf, 7, len);
            if (r != DataEndScanner.NOT_FOUND) {
                assertTrue(r > 7 && r <= 7 + len, "position " + r + " outside the piece");
                return new Outcome(p[0] + r - 7, s.sawAmbiguousEnd());
            }
        }
        return new Outcome(-1, s.sawAmbiguousEnd());
    }

    /** Checks the outcome for the whole text, for every cut into two and three pieces, and byte by byte. */
    private static void assertEveryWay(String text, int end, boolean ambiguous) {
        assertEquals(new Outcome(end, ambiguous), scan(new DataEndScanner(), text), "uncut: " + text);
        int n = text.length();
        for (int i = 0; i <= n; i++) {
            for (int j = i; j <= n; j++) {
                assertEquals(new Outcome(end, ambiguous), scan(new DataEndScanner(), text, i, j),
                        "cut at " + i + " and " + j + ": " + printable(text));
            }
        }
        int[] everyByte = new int[n];
        for (int i = 0; i < n; i++) {
            everyByte[i] = i;
        }
        assertEquals(new Outcome(end, ambiguous), scan(new DataEndScanner(), text, everyByte), "byte by byte");
    }

    private static String printable(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }

    @Test
    void anEmptyMessageEndsAtOnceBecauseTheDataCommandEndedALine() {
        assertEveryWay(".\r\n", 3, false);
        assertEveryWay(".\r\nQUIT\r\n", 3, false);
    }

    @Test
    void theEndIsFoundWhereverTheStreamIsCut() {
        String msg = "Subject: test\r\n\r\nHello\r\n.\r\n";
        assertEveryWay(msg, msg.length(), false);
        assertEveryWay(msg + "MAIL FROM:<a@b>\r\n", msg.length(), false);
    }

    @Test
    void dotStuffedLinesDoNotEndTheMessage() {
        String msg = "..\r\n...\r\n..x\r\nA\r\n..\r\n.\r\n";
        assertEveryWay(msg, msg.length(), false);
        assertEveryWay("..\r\n", -1, false);
        assertEveryWay("a\r\n..\r\n", -1, false);
    }

    @Test
    void aDotThatDoesNotStandAloneDoesNotEndTheMessage() {
        assertEveryWay("a.\r\n", -1, false);
        assertEveryWay("a\r\n. \r\n", -1, false);
        assertEveryWay("a\r\n.x\r\n", -1, false);
        assertEveryWay("a\r\n.\r", -1, false);
    }

    @Test
    void crCrLfStillEndsALine() {
        assertEveryWay("a\r\r\n.\r\n", 7, false);
    }

    @Test
    void bareLfInTextIsNotAmbiguousUnlessItTouchesALoneDot() {
        String msg = "a\nb\n\nc\n..\n.x\n\r\n.\r\n";
        assertEveryWay(msg, msg.length(), false);
    }

    @Test
    void lfDotLfIsAmbiguousAndTheRealEndIsStillFound() {
        String msg = "Subject: x\r\n\r\nhello\n.\nMAIL FROM:<evil@x>\r\n.\r\n";
        assertEveryWay(msg, msg.length(), true);
    }

    @Test
    void lfDotCrLfIsAmbiguous() {
        String msg = "hello\n.\r\nRCPT TO:<x@y>\r\n.\r\n";
        assertEveryWay(msg, msg.length(), true);
    }

    @Test
    void crLfDotLfIsAmbiguous() {
        String msg = "hello\r\n.\nRCPT TO:<x@y>\r\n.\r\n";
        assertEveryWay(msg, msg.length(), true);
    }

    @Test
    void crDotCrIsAmbiguous() {
        String msg = "hello\r.\rRCPT TO:<x@y>\r\n.\r\n";
        assertEveryWay(msg, msg.length(), true);
    }

    @Test
    void crLfDotCrIsAmbiguous() {
        String msg = "hello\r\n.\rRCPT TO:<x@y>\r\n.\r\n";
        assertEveryWay(msg, msg.length(), true);
    }

    @Test
    void aLoneDotBetweenABareCrAndAnythingIsAmbiguous() {
        // Not the end for the proxy, but the end for an upstream that takes a bare CR as a line end.
        assertEveryWay("a\r\n.\rx\r\n", -1, true);
        assertEveryWay("a\r\n\r.\r\n", -1, true);
    }

    @Test
    void aTrailingCrLfDotCrIsUndecidedUntilTheNextByte() {
        DataEndScanner s = new DataEndScanner();
        byte[] b = bytes("a\r\n.\r");
        assertEquals(DataEndScanner.NOT_FOUND, s.scan(b, 0, b.length));
        assertTrue(s.undecidedDotCr());
        assertFalse(s.sawAmbiguousEnd());
        assertEquals(1, s.scan(bytes("\n"), 0, 1));
        assertFalse(s.undecidedDotCr());
    }

    @Test
    void crDotCrLfIsAmbiguous() {
        String msg = "hello\r.\r\nRCPT TO:<x@y>\r\n.\r\n";
        assertEveryWay(msg, msg.length(), true);
    }

    @Test
    void bareCrInTextIsNotAmbiguousUnlessItTouchesALoneDot() {
        String msg = "a\rb\r\rc\r..\r.x\r\n.\r\n";
        assertEveryWay(msg, msg.length(), false);
    }

    @Test
    void aBareLfDotLineRightAfterTheDataCommandIsAmbiguous() {
        assertEveryWay(".\nhello\r\n.\r\n", 12, true);
        assertEveryWay("\n.\nhello\r\n.\r\n", 13, true);
    }

    @Test
    void theFlagIsRaisedEvenWhenTheMessageHasNotEnded() {
        assertEveryWay("hello\n.\nmore text", -1, true);
    }

    @Test
    void resetStartsANewMessage() {
        DataEndScanner s = new DataEndScanner();
        assertEquals(new Outcome(-1, true), scan(s, "x\n.\nhalf a line"));
        s.reset();
        assertFalse(s.sawAmbiguousEnd());
        assertEquals(new Outcome(3, false), scan(s, ".\r\n"), "after reset the first line starts at once");

        s.reset();
        scan(s, "abc");
        s.reset();
        assertEquals(new Outcome(3, false), scan(s, ".\r\n"), "reset forgets a line in progress");
    }

    @Test
    void twoMessagesInARowWithReset() {
        DataEndScanner s = new DataEndScanner();
        String first = "one\r\n.\r\n";
        String second = "two\r\n.\r\n";
        assertEquals(new Outcome(first.length(), false), scan(s, first));
        s.reset();
        assertEquals(new Outcome(second.length(), false), scan(s, second));
    }

    @Test
    void anEmptyChunkChangesNothing() {
        DataEndScanner s = new DataEndScanner();
        assertEquals(DataEndScanner.NOT_FOUND, s.scan(new byte[0], 0, 0));
        assertEquals(new Outcome(3, false), scan(s, ".\r\n"));
    }
}
