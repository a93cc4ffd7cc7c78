package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * What a load balancer (or anyone who reaches a trusted port) sends first, cut into random pieces: the reader
 * gives a header, says the input is malformed, or asks for more, and never fails otherwise; a header comes from
 * the same bytes however they were cut, and the reader never takes a byte past the header's end, which belongs
 * to the SMTP dialogue.
 */
class ProxyHeaderReaderFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void aHeaderOrARefusalNeverMore(FuzzedDataProvider data) {
        int[] cuts = data.consumeInts(6);
        byte[] input = data.consumeRemainingAsBytes();
        Outcome whole = read(input, new int[0]);
        Outcome pieces = read(input, cuts);
        assertEquals(whole, pieces, "the same outcome however the input is cut");
        if (whole.header != null) {
            assertTrue(whole.consumed <= input.length);
            assertTrue(whole.consumed <= 16 + 65535, "a header is never longer than v2 allows");
        }
    }

    private record Outcome(String header, String malformed, int consumed) {
    }

    private static Outcome read(byte[] input, int[] cuts) {
        ProxyHeaderReader reader = new ProxyHeaderReader();
        int off = 0;
        try {
            for (int i = 0; off < input.length; i++) {
                int n = i < cuts.length ? Math.floorMod(cuts[i], input.length - off) + 1 : input.length - off;
                ByteBuffer chunk = ByteBuffer.wrap(input, off, n);
                ProxyHeaderReader.Header h = reader.read(chunk);
                off = chunk.position();
                if (h != null) {
                    return new Outcome(h.toString(), null, off);
                }
            }
            return new Outcome(null, null, off);
        } catch (ProxyHeaderReader.MalformedHeader e) {
            return new Outcome(null, "malformed", -1);
        }
    }
}
