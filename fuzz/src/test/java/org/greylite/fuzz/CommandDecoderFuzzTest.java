package org.greylite.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.greylite.smtp.ByteQueue;
import org.greylite.smtp.CommandDecoder;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * What a client sends before DATA, cut into random pieces: the decoder gives the same lines and the same refusals
 * of over-long lines however the input was cut; every line it gives ends in CRLF, holds no other LF and is within
 * the limit; and while it waits for the end of a line it never holds more than the limit.
 */
class CommandDecoderFuzzTest {

    private static final int MAX_LINE = 64;

    @FuzzTest(maxDuration = "3s")
    void theSameLinesHoweverTheInputIsCut(FuzzedDataProvider data) {
        int[] cuts = data.consumeInts(8);
        byte[] input = data.consumeRemainingAsBytes();
        assertEquals(decode(input, new int[0]), decode(input, cuts));
    }

    /** The lines (as text) and "TOO_LONG" marks, in order. */
    private static List<String> decode(byte[] input, int[] cuts) {
        CommandDecoder decoder = new CommandDecoder(MAX_LINE);
        ByteQueue queue = new ByteQueue();
        List<String> out = new ArrayList<>();
        int off = 0;
        for (int i = 0; off < input.length; i++) {
            int n = i < cuts.length ? Math.floorMod(cuts[i], input.length - off) + 1 : input.length - off;
            queue.append(ByteBuffer.wrap(input, off, n));
            off += n;
            while (true) {
                CommandDecoder.Outcome o = decoder.next(queue, false);
                if (o == CommandDecoder.Outcome.NEED_MORE) {
                    assertTrue(queue.size() <= CommandDecoder.MAX_SASL_LINE, "held " + queue.size());
                    break;
                }
                if (o == CommandDecoder.Outcome.LINE) {
                    byte[] raw = decoder.line().raw();
                    String text = new String(raw, StandardCharsets.ISO_8859_1);
                    assertTrue(text.endsWith("\r\n"), text);
                    assertEquals(text.length() - 1, text.indexOf('\n'), text);
                    assertTrue(raw.length <= CommandDecoder.MAX_SASL_LINE + 1, "line of " + raw.length);
                    out.add(text);
                } else if (o == CommandDecoder.Outcome.TOO_LONG) {
                    out.add("TOO_LONG");
                }
            }
        }
        return out;
    }
}
