package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/greylite under its default LOGTHRESHOLD (3, errors and worse, as greylite(8)): what it throws away of the
 * administrator's configuration reaches stderr, naming the file and line (SPEC §5), the variable, the file. Logged
 * as warnings, none of it was ever seen at the default.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WrapperConfigurationErrorsTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    @Test
    void discardedLinesAndUnusableFilesAreReportedAtTheDefaultThreshold() throws Exception {
        Path rules = Files.writeString(dir.resolve("suspicion"), "3 r dsl\n2 z bogus\n2 g CN\n");
        Path known = Files.writeString(dir.resolve("known-senders"), "suffix .example.com ok\nregex ( bad\n");
        Path session = Files.writeString(dir.resolve("session.txt"),
                "EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nQUIT\r\n");
        ProcessBuilder pb = new ProcessBuilder(Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir));
        pb.environment().keySet().removeIf(name -> !name.equals("PATH") && !name.equals("JAVA_HOME"));
        pb.environment().putAll(java.util.Map.of("GREYLIST", "", "TCPREMOTEIP", "192.0.2.7",
                "TCPREMOTEHOST", "mail.example.net", "DBFILE", dir.resolve("greylite.db").toString(),
                "SUSPICION", rules.toString(), "GEOIPDB_FILE", "/etc/passwd",
                "GREYLITE_WHITELIST_FILES", known.toString(), "DNSCACHEIP", "bogus 127.0.0.1:1"));
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = pb.redirectInput(session.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the wrapper ended");
        String replies = Files.readString(out, StandardCharsets.UTF_8);
        List<String> errors = Files.readAllLines(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), replies + errors);
        assertTrue(replies.contains("451 4.7.1 <c@d.example>"), "the session went on: " + replies);

        assertSaid(errors, rules + ":2: ");
        assertSaid(errors, known + ":2: '(' is not a regular expression");
        assertSaid(errors, "GeoIP database /etc/passwd (--geoip-db, or GEOIPDB_FILE) cannot be used");
        assertSaid(errors, rules + ": g lines never match: the GeoIP database configured (--geoip-db, or GEOIPDB_FILE),"
                + " /etc/passwd, cannot be used");
        assertSaid(errors, "DNSCACHEIP");
        assertFalse(errors.stream().anyMatch(l -> l.contains("no GeoIP database is configured")), errors::toString);
    }

    @Test
    void aKnownSendersFileThatIsANamedPipeIsRefusedWithoutWaitingForAWriter() throws Exception {
        Path fifo = dir.resolve("known-senders");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        Path session = Files.writeString(dir.resolve("session.txt"),
                "EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nQUIT\r\n");
        ProcessBuilder pb = new ProcessBuilder(Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir));
        pb.environment().keySet().removeIf(name -> !name.equals("PATH") && !name.equals("JAVA_HOME"));
        pb.environment().putAll(java.util.Map.of("GREYLIST", "", "TCPREMOTEIP", "192.0.2.7",
                "DBFILE", dir.resolve("greylite.db").toString(), "GREYLITE_WHITELIST_FILES", fifo.toString()));
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = pb.redirectInput(session.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean ended = p.waitFor(30, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String replies = Files.readString(out, StandardCharsets.UTF_8);
        List<String> errors = Files.readAllLines(err, StandardCharsets.UTF_8);
        assertTrue(ended, "the wrapper waited for a writer at the first RCPT: " + replies + errors);
        assertTrue(replies.contains("451 4.7.1 <c@d.example>"), "greylisted without the known senders: " + replies);
        assertSaid(errors, "GREYLITE_WHITELIST_FILES: " + fifo + " cannot be read (it is a named pipe (FIFO)");
    }

    @Test
    void aSuspicionOrKnownSendersFileWithoutEndIsRefusedAsUnreadable() throws Exception {
        // Read whole into the wrapper's 64 MB heap, /dev/zero ran it out of memory: the RCPT waited for a reply until
        // the session deadline, or, caught as an unforeseen failure, was accepted ungreylisted.
        Path session = Files.writeString(dir.resolve("session.txt"),
                "EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nQUIT\r\n");
        ProcessBuilder pb = new ProcessBuilder(Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir));
        pb.environment().keySet().removeIf(name -> !name.equals("PATH") && !name.equals("JAVA_HOME"));
        pb.environment().putAll(java.util.Map.of("GREYLIST", "", "TCPREMOTEIP", "192.0.2.7",
                "DBFILE", dir.resolve("greylite.db").toString(), "SUSPICION", "/dev/zero",
                "GREYLITE_WHITELIST_FILES", "/dev/zero"));
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = pb.redirectInput(session.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean ended = p.waitFor(40, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String replies = Files.readString(out, StandardCharsets.UTF_8);
        List<String> errors = Files.readAllLines(err, StandardCharsets.UTF_8);
        assertTrue(ended, "the session ended: " + replies + errors);
        assertTrue(replies.contains("451 4.7.1 <c@d.example>"), "greylisted, N = 1 as without rules: " + replies);
        assertSaid(errors, "suspicion file /dev/zero cannot be read (it is no regular file and read without end");
        assertSaid(errors, "GREYLITE_WHITELIST_FILES: /dev/zero cannot be read (it is no regular file");
        assertFalse(errors.stream().anyMatch(l -> l.contains("OutOfMemoryError")), errors::toString);
    }

    private static void assertSaid(List<String> errors, String text) {
        assertTrue(errors.stream().anyMatch(l -> l.contains(text) && l.contains("ERROR")),
                "no ERROR line with '" + text + "' in:\n" + String.join("\n", errors));
    }
}
