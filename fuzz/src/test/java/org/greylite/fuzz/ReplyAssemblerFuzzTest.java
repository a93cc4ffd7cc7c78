package org.greylite.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

import org.greylite.smtp.ReplyAssembler;
import org.greylite.smtp.SmtpProtocolException;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * What an upstream server sends, cut into random pieces: the assembler hands on whole replies whose bytes are
 * exactly the input's, in order, or says the input is not SMTP; it never fails otherwise.
 */
class ReplyAssemblerFuzzTest {

    private static final int MAX_LINE = 512;

    @FuzzTest(maxDuration = "3s")
    void repliesAreTheInputsBytesInOrder(FuzzedDataProvider data) {
        int[] cuts = data.consumeInts(8);
        byte[] input = data.consumeRemainingAsBytes();
        ReplyAssembler assembler = new ReplyAssembler(MAX_LINE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int fed = 0;
        try {
            for (int i = 0; fed < input.length; i++) {
                int n = i < cuts.length ? Math.floorMod(cuts[i], input.length - fed) + 1 : input.length - fed;
                assembler.feed(ByteBuffer.wrap(input, fed, n), r -> {
                    assertTrue(r.code() >= 200 && r.code() <= 599, "code " + r.code());
                    out.writeBytes(r.raw());
                });
                fed += n;
            }
        } catch (SmtpProtocolException e) {
            // Not SMTP: the relay drops the upstream with a 421 to the client. Fine, as long as what came before was whole.
        }
        byte[] replies = out.toByteArray();
        assertArrayEquals(Arrays.copyOf(input, replies.length), replies, "the replies are a prefix of the input");
    }
}
