package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Tag;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * postgrey's whitelist files as an administrator might have them (copied from postgrey, edited by hand, Perl
 * regular expressions and all), as client and as recipient files: loading never fails, a line that cannot be read
 * is a problem named with its file and line, and matching a client or a recipient never fails either.
 */
@Tag("admin-regex") // run with Jazzer's regular-expression-injection detector off: see fuzz/pom.xml
class PostgreyWhitelistsFuzzTest {

    /** As in the suspicion file's target: the administrator's patterns are trusted, and long names backtrack. */
    private static final int SHORT = 12;

    private static final Path CLIENTS;
    private static final Path RECIPIENTS;

    static {
        try {
            Path dir = Files.createTempDirectory("postgrey-whitelists");
            CLIENTS = dir.resolve("whitelist_clients");
            RECIPIENTS = dir.resolve("whitelist_recipients");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "3s")
    void anyFileLoadsAndMatches(FuzzedDataProvider data) throws IOException {
        byte[] address = data.consumeBytes(data.consumeBoolean() ? 4 : 16);
        String name = data.consumeString(SHORT);
        String recipient = data.consumeString(SHORT);
        byte[] text = data.consumeRemainingAsBytes();
        Files.write(CLIENTS, text);
        Files.write(RECIPIENTS, text);
        List<String> problems = new ArrayList<>();
        PostgreyWhitelists lists = PostgreyWhitelists.load(List.of(WhitelistFile.named(CLIENTS)),
                List.of(WhitelistFile.named(RECIPIENTS)), problems::add,
                missing -> fail("the files exist: " + missing));
        for (String p : problems) {
            assertTrue(p.startsWith(CLIENTS + ":") || p.startsWith(RECIPIENTS + ":"), p);
        }
        InetAddress client = client(address);
        if (client != null) {
            String where = lists.matchClient(client, name);
            assertTrue(where == null || where.startsWith(CLIENTS + ":"), where);
        }
        String where = lists.matchRecipient(recipient);
        assertTrue(where == null || where.startsWith(RECIPIENTS + ":"), where);
    }

    private static InetAddress client(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            return null; // fewer bytes than an address has: the input ran out
        }
    }
}
