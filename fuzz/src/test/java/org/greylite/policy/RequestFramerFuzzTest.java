package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * What a Postfix smtpd (or anything that reaches the policy port) sends, cut into random pieces: the framer gives
 * the same requests however the input was cut, then either waits for more or says how the protocol was broken;
 * every request is within the limits, and nothing else is thrown.
 */
class RequestFramerFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void theSameRequestsHoweverTheInputIsCut(FuzzedDataProvider data) {
        int[] cuts = data.consumeInts(8);
        byte[] input = data.consumeRemainingAsBytes();
        Outcome whole = frame(input, new int[0]);
        Outcome pieces = frame(input, cuts);
        assertEquals(whole, pieces);
        for (PolicyRequest r : whole.requests()) {
            assertTrue(r.attributes().size() <= RequestFramer.MAX_ATTRIBUTES);
            r.attributes().keySet().forEach(k -> assertFalse(k.isEmpty() || k.contains("=") || k.contains("\n"), k));
        }
    }

    private record Outcome(List<PolicyRequest> requests, boolean broken) {
    }

    private static Outcome frame(byte[] input, int[] cuts) {
        RequestFramer framer = new RequestFramer();
        List<PolicyRequest> out = new ArrayList<>();
        int off = 0;
        try {
            for (int i = 0; off < input.length; i++) {
                int n = i < cuts.length ? Math.floorMod(cuts[i], input.length - off) + 1 : input.length - off;
                framer.feed(ByteBuffer.wrap(input, off, n), out);
                off += n;
            }
            return new Outcome(out, false);
        } catch (RequestFramer.ProtocolException e) {
            return new Outcome(out, true);
        }
    }
}
