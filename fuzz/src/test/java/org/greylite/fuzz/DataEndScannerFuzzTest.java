package org.greylite.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.greylite.smtp.DataEndScanner;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * A message's text cut into random pieces: the scanner finds its end exactly where a plain search for the first
 * CRLF "." CRLF line finds it (the DATA command's own CRLF opens the first line), and raises the smuggling flag
 * the same way, however the pieces were cut.
 */
class DataEndScannerFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void theEndIsFoundWhereverThePiecesAreCut(FuzzedDataProvider data) {
        int[] cuts = data.consumeInts(8);
        byte[] input = data.consumeRemainingAsBytes();

        DataEndScanner whole = new DataEndScanner();
        int end = whole.scan(input, 0, input.length);
        assertEquals(expectedEnd(input), end);

        DataEndScanner pieces = new DataEndScanner();
        int found = DataEndScanner.NOT_FOUND;
        int off = 0;
        for (int i = 0; off < input.length && found == DataEndScanner.NOT_FOUND; i++) {
            int n = i < cuts.length ? Math.floorMod(cuts[i], input.length - off) + 1 : input.length - off;
            found = pieces.scan(input, off, n);
            off += n;
        }
        assertEquals(end, found, "the same end in pieces");
        assertEquals(whole.sawAmbiguousEnd(), pieces.sawAmbiguousEnd(), "the same smuggling verdict in pieces");
    }

    /** The offset just past the first "." CRLF that starts a line (the input starts on a line), or NOT_FOUND. */
    private static int expectedEnd(byte[] b) {
        for (int i = 0; i + 2 < b.length; i++) {
            boolean lineStart = i == 0 || (i >= 2 && b[i - 2] == '\r' && b[i - 1] == '\n');
            if (lineStart && b[i] == '.' && b[i + 1] == '\r' && b[i + 2] == '\n') {
                return i + 3;
            }
        }
        return DataEndScanner.NOT_FOUND;
    }
}
