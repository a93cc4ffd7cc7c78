package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** postgrey's whitelist files in their formats, from real files; a bad line is named and left out. */
class PostgreyWhitelistsTest {

    @TempDir
    Path dir;

    @Test
    void clientFormats() throws Exception {
        Path f = Files.writeString(dir.resolve("clients"), String.join("\n",
                "# comment", "", "  example.com   # trailing comment", "/^smtp[0-9]+\\.bulk\\./", "192.0.2.7",
                "198.51.100.0/25", "203.0.113", "10.20", "2001:db8::/32", "/[unclosed/", "two words") + "\n");
        List<String> problems = new ArrayList<>();
        PostgreyWhitelists w = load(List.of(f), List.of(), problems::add);
        InetAddress other = InetAddress.getByName("192.0.2.200");
        assertEquals(f + ":3", w.matchClient(other, "example.com"));
        assertEquals(f + ":3", w.matchClient(other, "MX1.Example.COM"));
        assertNull(w.matchClient(other, "notexample.com"));
        assertEquals(f + ":4", w.matchClient(other, "smtp12.bulk.example.net"));
        assertEquals(f + ":5", w.matchClient(InetAddress.getByName("192.0.2.7"), ""));
        assertEquals(f + ":6", w.matchClient(InetAddress.getByName("198.51.100.127"), ""));
        assertNull(w.matchClient(InetAddress.getByName("198.51.100.128"), ""));
        assertEquals(f + ":7", w.matchClient(InetAddress.getByName("203.0.113.99"), ""));
        assertEquals(f + ":8", w.matchClient(InetAddress.getByName("10.20.30.40"), ""));
        assertEquals(f + ":9", w.matchClient(InetAddress.getByName("2001:db8::25"), ""));
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(f + ":10: bad regular expression"), problems.toString());
        assertTrue(problems.get(1).startsWith(f + ":11: "), problems.toString());
    }

    /**
     * postgrey reads bytes: a Latin-1 comment (not UTF-8) in a whitelist does not stop the start, and a UTF-8
     * recipient line is read as UTF-8.
     */
    @Test
    void aFileWithBytesThatAreNotUtf8Loads() throws Exception {
        Path clients = dir.resolve("clients-latin1");
        Files.write(clients, "# r\u00e9seau de l'\u00e9cole\nexample.com\n".getBytes(StandardCharsets.ISO_8859_1));
        Path recipients = dir.resolve("recipients-utf8");
        Files.write(recipients, "j\u00f6rg@\n".getBytes(StandardCharsets.UTF_8));
        List<String> problems = new ArrayList<>();
        PostgreyWhitelists w = load(List.of(clients), List.of(recipients), problems::add);
        assertEquals(List.of(), problems);
        assertEquals(clients + ":2", w.matchClient(InetAddress.getByName("192.0.2.1"), "mx.example.com"));
        assertEquals(recipients + ":1", w.matchRecipient("j\u00f6rg@example.org"));
    }

    @Test
    void anOverlongRegexIsALineLeftOut() throws Exception {
        Path f = Files.writeString(dir.resolve("clients"), "/" + "a".repeat(200_000) + "/\nexample.com\n");
        List<String> problems = new ArrayList<>();
        PostgreyWhitelists w = load(List.of(f), List.of(), problems::add);
        assertEquals(List.of(f + ":1: regular expression of 200000 characters, more than the 16384 a line may have"
                + " (line left out)"), problems);
        assertEquals(f + ":2", w.matchClient(InetAddress.getByName("192.0.2.200"), "mx.example.com"));
    }

    @Test
    void aClientWithoutANameMatchesNoHostNameButTheRegexesThatMatchNothing() throws Exception {
        Path f = Files.writeString(dir.resolve("clients"), "example.com\n/^unknown$/\n/^$/\n");
        PostgreyWhitelists w = load(List.of(f), List.of(), p -> { });
        InetAddress a = InetAddress.getByName("192.0.2.200");
        assertEquals(f + ":3", w.matchClient(a, ""), "/^$/ finds the empty name; the host name and /^unknown$/ do not");
        PostgreyWhitelists names = load(List.of(Files.writeString(dir.resolve("names"),
                "example.com\n/bulk/\n")), List.of(), p -> { });
        assertNull(names.matchClient(a, ""));
        assertEquals(dir.resolve("names") + ":2", names.matchClient(a, "bulk.example.net"));
    }

    /**
     * postgrey's regexes are Perl's: a POSIX class in brackets, a {@code [} or {@code &&} in a class, match there as
     * in Perl. Java read {@code [[:digit:]]} as the characters {@code : d i g t}, so such a line copied from postgrey
     * whitelisted nothing it was written for, and a name that happened to hold those letters instead.
     */
    @Test
    void regexesMatchAsPerlMatchesThem() throws Exception {
        Path f = Files.writeString(dir.resolve("clients"), String.join("\n",
                "/^mail[[:digit:]]+\\.example\\.com$/", "/^mx[[:^alpha:]]\\.bulk\\.example$/",
                "/^out[[:upper:]]+\\.corp\\.example$/", "/^relay[a[]\\.net\\.example$/", "/^gw[a&&b]\\.example$/",
                "/^x[[:bogus:]]$/") + "\n");
        List<String> problems = new ArrayList<>();
        PostgreyWhitelists w = load(List.of(f), List.of(), problems::add);
        InetAddress a = InetAddress.getByName("192.0.2.200");
        assertEquals(f + ":1", w.matchClient(a, "mail12.example.com"));
        assertNull(w.matchClient(a, "maildig.example.com"), "[[:digit:]] is digits, not the letters of its name");
        assertEquals(f + ":2", w.matchClient(a, "mx1.bulk.example"));
        assertNull(w.matchClient(a, "mxa.bulk.example"));
        assertEquals(f + ":3", w.matchClient(a, "outbound.corp.example"), "case-insensitive, as qr{...}i");
        assertEquals(f + ":4", w.matchClient(a, "relay[.net.example"));
        assertEquals(f + ":5", w.matchClient(a, "gw&.example"));
        assertEquals(List.of(f + ":6: bad regular expression /^x[[:bogus:]]$/: POSIX class [:bogus:] unknown (line left out)"),
                problems);
    }

    @Test
    void recipientFormats() throws Exception {
        Path f = Files.writeString(dir.resolve("recipients"),
                "postmaster@example.org\nabuse@\n@traps.example\nlists.example\n/^bounce-.*@/\n");
        PostgreyWhitelists w = load(List.of(), List.of(f), p -> { });
        assertEquals(f + ":1", w.matchRecipient("Postmaster+x@Example.org"));
        assertNull(w.matchRecipient("postmaster@example.com"));
        assertEquals(f + ":2", w.matchRecipient("abuse@anywhere.example"));
        assertNull(w.matchRecipient("abusive@anywhere.example"));
        assertEquals(f + ":3", w.matchRecipient("any@traps.example"));
        assertNull(w.matchRecipient("any@sub.traps.example"));
        assertEquals(f + ":4", w.matchRecipient("x@lists.example"));
        assertEquals(f + ":4", w.matchRecipient("x@eu.lists.example"));
        assertEquals(f + ":5", w.matchRecipient("bounce-123@example.net"));
        assertNull(w.matchRecipient("user@example.net"));
    }

    @Test
    void aFileThatCannotBeReadIsNamed() throws Exception {
        Path directory = Files.createDirectories(dir.resolve("a-directory"));
        IOException e = assertThrows(IOException.class, () -> load(List.of(directory), List.of(), p -> { }));
        assertEquals("--whitelist-clients: " + directory + " cannot be read (is a directory)", e.getMessage());
    }

    /** As postgrey: a file that does not exist is empty, said unless it is a .local file or one of postgrey's own. */
    @Test
    void aFileThatDoesNotExistIsEmptyAndSaidUnlessItIsALocalOrADefaultOne() throws Exception {
        Path present = Files.writeString(dir.resolve("recipients"), "example.org\n");
        List<String> missing = new ArrayList<>();
        PostgreyWhitelists w = PostgreyWhitelists.load(
                List.of(WhitelistFile.named(dir.resolve("clients")), WhitelistFile.named(dir.resolve("clients.local")),
                        WhitelistFile.postgreyDefault(dir.resolve("whitelist_clients"))),
                List.of(WhitelistFile.named(present)), p -> { }, missing::add);
        assertEquals(List.of("--whitelist-clients: " + dir.resolve("clients") + " does not exist; read as empty until it "
                + "does (SIGHUP reads it)"), missing);
        assertEquals(1, w.size());
    }

    /** The files named by the flags, as the service reads them; a missing one fails the test. */
    private static PostgreyWhitelists load(List<Path> clients, List<Path> recipients, Consumer<String> problems)
            throws IOException {
        return PostgreyWhitelists.load(clients.stream().map(WhitelistFile::named).toList(),
                recipients.stream().map(WhitelistFile::named).toList(), problems,
                m -> { throw new AssertionError(m); });
    }
}
