package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.JavaProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** greydaemon as an administrator runs it: a real process, read on its stderr, asked over real UDP. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GreydaemonProcessTest {

    @TempDir
    Path dir;

    /**
     * The start-up line and the line about a malformed request write an IPv6 address with its port as RFC 5952
     * does, {@code [::1]:1999}: {@code ::1:1999} is an address of its own, and the port cannot be read off it. The
     * port the start-up line names is the one that answers.
     */
    @Test
    void onIpv6TheLinesWriteAddressesWithPortsInBrackets() throws Exception {
        try (JavaProgram d = GreydaemonProcess.start("[::1]:0", dir.resolve("greydb").toString())) {
            String line = d.awaitLine("started greydaemon on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("started greydaemon on \\[::1\\]:(\\d+): greydb ").matcher(line);
            assertTrue(m.find(), line);
            try (QmailSmtpdClient c = new QmailSmtpdClient(
                    new InetSocketAddress(InetAddress.getByName("::1"), Integer.parseInt(m.group(1))))) {
                assertEquals("0,1", c.ask("2001:db8::7", "a@example.net", "b@example.org"));
                c.timeout(1_000);
                assertNull(c.send("Fno-ip-first\0Tx@example.org\0".getBytes(StandardCharsets.ISO_8859_1)));
            }
            String malformed = d.awaitLine("malformed request from", Duration.ofSeconds(10));
            assertTrue(Pattern.compile("malformed request from \\[::1\\]:\\d+ ").matcher(malformed).find(), malformed);
            assertFalse(d.output().contains("0:0:0:0:0:0:0:1"), "no Java full text: " + d.output());
            assertEquals(143, d.terminate(Duration.ofSeconds(10)), "SIGTERM stops it at once: " + d.output());
        }
    }

    /**
     * Anyone who can send greydaemon a datagram can send a malformed one: a flood of them wrote a warning each, as
     * fast as they came (a disk filled, every other line buried). The first is logged, the rest of the minute only
     * counted: in the metrics, and in the next such line.
     */
    @Test
    void aFloodOfMalformedDatagramsIsOneWarningAMinute() throws Exception {
        try (JavaProgram d = GreydaemonProcess.start("127.0.0.1:0", dir.resolve("greydb").toString())) {
            try (QmailSmtpdClient c = new QmailSmtpdClient(GreydaemonProcess.awaitStartedOnLoopback(d))) {
                c.timeout(200);
                for (int i = 0; i < 20; i++) {
                    assertNull(c.send(("Fno-ip-first-" + i + "\0Tx@example.org\0").getBytes(StandardCharsets.ISO_8859_1)));
                }
                c.timeout(10_000);
                // Datagrams from one socket are read in order: once this is answered, all twenty were read.
                assertEquals("0,1", c.ask("192.0.2.9", "a@example.net", "b@example.org"), d::output);
            }
            d.awaitLine("malformed request from", Duration.ofSeconds(10));
            assertEquals(143, d.terminate(Duration.ofSeconds(10)), d::output);
            long warnings = d.output().lines().filter(l -> l.contains("malformed request from")).count();
            assertEquals(1, warnings, d::output);
        }
    }

    /**
     * {@code -d} logs the decisions that skip greylisting with what skipped them: an address in a {@code -w} range
     * (answer 1,1) and a bounce to a VERP address (1,4) are told apart, and neither is written to the greydb.
     */
    @Test
    void debugLinesTellAWhitelistedRangeFromAVerpBounce() throws Exception {
        Path white = dir.resolve("white");
        java.nio.file.Files.writeString(white, "192.0.2.0/24\n");
        try (JavaProgram d = GreydaemonProcess.start("-d", "-w", white.toString(), "127.0.0.1:0",
                dir.resolve("greydb").toString())) {
            try (QmailSmtpdClient c = new QmailSmtpdClient(GreydaemonProcess.awaitStartedOnLoopback(d))) {
                assertEquals("1,1", c.ask("192.0.2.9", "a@example.net", "b@example.org"), d::output);
                assertEquals("1,4", c.ask("198.51.100.4", "", "list-bounces=example.org@example.net"));
            }
            String range = d.awaitLine("client=192.0.2.9", Duration.ofSeconds(10));
            assertTrue(range.contains("decision verdict=accept reason=skipped(WHITELISTED=-w:" + white + ") "), range);
            String verp = d.awaitLine("client=198.51.100.4", Duration.ofSeconds(10));
            assertTrue(verp.contains("decision verdict=accept reason=skipped(WHITELISTED=verp-bounce) "), verp);
        }
    }

    /**
     * A SIGHUP while greydaemon starts (a reload right after a restart, here while it imports an old save file) does
     * not stop it: the JVM's default takes SIGHUP for a request to stop, and greydaemon kept that default until it
     * served, half a minute into the import of a large save file. Signalled from its first log line until it
     * serves, it starts, and then reloads on SIGHUP as usual.
     */
    @Test
    void aSighupWhileStartingDoesNotStopIt() throws Exception {
        Path save = dir.resolve("save");
        long t = java.time.Instant.now().getEpochSecond();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            lines.append("G ").append(t - 600).append(" 10.0.").append(i >> 8 & 255).append('.').append(i & 255)
                    .append(" s").append(i).append("@example.org r").append(i).append("@example.net\n");
        }
        java.nio.file.Files.writeString(save, lines);
        try (JavaProgram d = GreydaemonProcess.start("127.0.0.1:0", save.toString())) {
            d.awaitLine("", Duration.ofSeconds(60)); // logging is set up: greydaemon is starting
            int signals = 0;
            while (d.alive() && !d.output().contains("started greydaemon on")) {
                assertEquals(0, d.signal("HUP"));
                signals++;
                Thread.sleep(20);
            }
            assertTrue(d.alive(), "stopped by a SIGHUP while starting, status " + d.awaitExit(Duration.ofSeconds(10))
                    + ":\n" + d.output());
            assertTrue(signals > 0);
            d.awaitLine("started greydaemon on", Duration.ofSeconds(60));
            assertEquals(0, d.signal("HUP"));
            d.awaitLine("SIGHUP: no suspicion file to reload", Duration.ofSeconds(10));
            assertTrue(d.alive(), d.output());
        }
    }

    /**
     * SIGHUP ({@code svc -h}) reads the suspicion file again, and greydaemon goes on: the JVM's default would
     * stop it. The file is rewritten with its size and modification time kept, so that the look at its changes
     * every second cannot be what loads it: only the signal can.
     */
    @Test
    void sighupReadsTheSuspicionFileAgainAndGreydaemonGoesOn() throws Exception {
        Path suspicion = dir.resolve("suspicion");
        java.nio.file.Files.writeString(suspicion, "0 e r:^one@\n");
        try (JavaProgram d = GreydaemonProcess.start(java.util.Map.of("SUSPICION", suspicion.toString()),
                "127.0.0.1:0", dir.resolve("greydb").toString())) {
            try (QmailSmtpdClient c = new QmailSmtpdClient(GreydaemonProcess.awaitStartedOnLoopback(d))) {
                assertEquals("1,3", c.ask("192.0.2.1", "a@example.net", "one@example.org"), "N = 0 for one@");
                assertEquals("0,1", c.ask("192.0.2.2", "a@example.net", "two@example.org"), "two@ is greylisted");

                java.nio.file.attribute.FileTime modified = java.nio.file.Files.getLastModifiedTime(suspicion);
                java.nio.file.Files.write(suspicion, "0 e r:^two@\n".getBytes(StandardCharsets.US_ASCII),
                        java.nio.file.StandardOpenOption.WRITE); // the same length, over the old bytes
                java.nio.file.Files.setLastModifiedTime(suspicion, modified);
                assertEquals(0, d.signal("HUP"));
                d.awaitLine("SIGHUP: reloading the suspicion file", Duration.ofSeconds(10));
                d.awaitLine(suspicion + ": reloaded, 1 rules", Duration.ofSeconds(10));
                assertTrue(d.alive(), "SIGHUP does not stop greydaemon: " + d.output());

                assertEquals("1,3", c.ask("192.0.2.3", "a@example.net", "two@example.org"), "N = 0 for two@ now");
                assertEquals("0,1", c.ask("192.0.2.4", "a@example.net", "one@example.org"), "one@ is greylisted now");
            }
        }
    }
    /**
     * SIGHUP reads the {@code -w} ranges and the known senders ({@code GREYLITE_WHITELIST_FILES}) again: a relay added
     * to either is let through after {@code svc -h}, where both were read at start only and a restart was needed. An
     * edit with a line that does not load keeps what was loaded before, the file and line said.
     */
    @Test
    void sighupReadsTheWhitelistRangesAndTheKnownSendersAgain() throws Exception {
        Path white = java.nio.file.Files.writeString(dir.resolve("white"), "192.0.2.0/24\n");
        Path known = java.nio.file.Files.writeString(dir.resolve("known-senders"), "cidr 203.0.113.0/24 a partner\n");
        try (JavaProgram d = GreydaemonProcess.start(java.util.Map.of("GREYLITE_WHITELIST_FILES", known.toString(),
                "GREYLITE_NO_SHIPPED_WHITELIST", "1"), "-w", white.toString(), "127.0.0.1:0",
                dir.resolve("greydb").toString())) {
            try (QmailSmtpdClient c = new QmailSmtpdClient(GreydaemonProcess.awaitStartedOnLoopback(d))) {
                assertEquals("1,1", c.ask("192.0.2.7", "a@example.net", "b@example.org"), "in a -w range");
                assertEquals("0,1", c.ask("198.51.100.7", "a@example.net", "b@example.org"), "not yet in one");
                assertEquals("0,1", c.ask("198.51.100.8", "a@example.net", "b@example.org"), "not yet known");

                // Broken edits: a line naming no range, a regular expression that is none.
                java.nio.file.Files.writeString(white, "192.0.2.0/24\n198.51.100.7\n300.1.2.3\n");
                java.nio.file.Files.writeString(known, "cidr 203.0.113.0/24 a partner\ncidr 198.51.100.8/32 relay\n"
                        + "regex (unclosed a typo\n");
                assertEquals(0, d.signal("HUP"));
                d.awaitLine("SIGHUP: -w " + white + ": not reloaded: 1 line(s) name no range (" + white + ":3",
                        Duration.ofSeconds(10));
                d.awaitLine(known + ":3: '(unclosed' is not a regular expression", Duration.ofSeconds(10));
                d.awaitLine("not reloaded: 1 line(s) do not load (above); keeping the 1 known senders loaded before",
                        Duration.ofSeconds(10));
                assertEquals("0,2", c.ask("198.51.100.7", "a@example.net", "b@example.org"),
                        "the ranges before decide");
                assertEquals("0,2", c.ask("198.51.100.8", "a@example.net", "b@example.org"), "the list before decides");

                java.nio.file.Files.writeString(white, "192.0.2.0/24\n198.51.100.7\n");
                java.nio.file.Files.writeString(known, "cidr 203.0.113.0/24 a partner\ncidr 198.51.100.8/32 relay\n");
                assertEquals(0, d.signal("HUP"));
                d.awaitLine("SIGHUP: -w " + white + ": reloaded, 2 range(s)", Duration.ofSeconds(10));
                d.awaitLine("reloaded, 2 entries", Duration.ofSeconds(10));
                assertEquals("1,1", c.ask("198.51.100.7", "a@example.net", "c@example.org"), "in a -w range now");
                assertEquals("1,3", c.ask("198.51.100.8", "a@example.net", "c@example.org"), "a known sender now");
            }
        }
    }
}
