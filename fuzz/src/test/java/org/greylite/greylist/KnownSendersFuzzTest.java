package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import org.junit.jupiter.api.Tag;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * A file of known senders ({@code whitelist-file}) as an administrator might mistype it: it loads, a line that
 * cannot be read is a problem named with its file and line, and matching a client, by address or by name, never
 * fails.
 */
@Tag("admin-regex") // run with Jazzer's regular-expression-injection detector off: see fuzz/pom.xml
class KnownSendersFuzzTest {

    /** As in the suspicion file's target: the administrator's patterns are trusted, and long names backtrack. */
    private static final int SHORT = 12;

    @FuzzTest(maxDuration = "3s")
    void anyFileLoadsAndMatches(FuzzedDataProvider data) throws UnknownHostException {
        byte[] address = data.consumeBytes(data.consumeBoolean() ? 4 : 16);
        String name = data.consumeString(SHORT);
        List<String> lines = data.consumeRemainingAsString().lines().toList();
        KnownSenders senders = KnownSenders.parse("senders", lines);
        senders.problems().forEach(p -> assertTrue(p.startsWith("senders:"), p));
        assertTrue(senders.size() <= lines.size());
        if (address.length == 4 || address.length == 16) {
            senders.match(InetAddress.getByAddress(address), name)
                    .ifPresent(e -> assertTrue(e.source().startsWith("senders:"), e.source()));
        }
    }
}
