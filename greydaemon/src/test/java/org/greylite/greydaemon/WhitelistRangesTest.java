package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** greydaemon's -w file: its range forms, comments, and a line it cannot read. */
class WhitelistRangesTest {

    @TempDir
    Path dir;

    private WhitelistRanges load(String text) throws Exception {
        Path f = dir.resolve("white");
        Files.writeString(f, text);
        return WhitelistRanges.load(f);
    }

    @Test
    void greydaemonsForms() throws Exception {
        WhitelistRanges w = load("10\n172.16 # a /16\n\n  192.0.2   \n198.51.100.7\n203.0.113.128/25 extra words\n2001:db8::/32\n");
        assertEquals(6, w.size());
        for (String in : new String[] {"10.200.1.1", "172.16.9.9", "192.0.2.255", "198.51.100.7", "203.0.113.200",
            "2001:db8::25"}) {
            assertTrue(w.contains(InetAddress.getByName(in)), in);
        }
        for (String out : new String[] {"11.0.0.1", "172.17.0.1", "192.0.3.1", "198.51.100.8", "203.0.113.127",
            "2001:db9::1"}) {
            assertFalse(w.contains(InetAddress.getByName(out)), out);
        }
    }

    /** greydaemon read bytes: a Latin-1 comment (not UTF-8) does not stop the start, and the ranges load. */
    @Test
    void aFileWithBytesThatAreNotUtf8Loads() throws Exception {
        Path f = dir.resolve("white-latin1");
        Files.write(f, "# r\u00e9seau de l'\u00e9cole\n192.0.2.0/24\n".getBytes(StandardCharsets.ISO_8859_1));
        WhitelistRanges w = WhitelistRanges.load(f);
        assertEquals(1, w.size());
    }

    /** Only a line without a digit stopped greydaemon ("bad range"), and only such a line stops the start here. */
    @Test
    void aLineWithoutADigitIsNamedByFileAndLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("# ok\n192.0.2\nour friends\n"));
        assertTrue(e.getMessage().endsWith("white:3: 'our friends' holds no address range (192.0.2.0/24, 192.0.2.7,"
                + " 192.0.2, 10.1)"), e.getMessage());
    }

    /**
     * Each line as greydaemon's addrange read it: the first of its patterns found anywhere in the line, so with
     * text around the range, tcprules' trailing dot and star, quotes and punctuation. Where the line seems to say
     * more than is read, a warning names the file and line.
     */
    @Test
    void linesGreydaemonLoadedLoadWithItsRanges() throws Exception {
        List<String> warnings = warningsOf(() -> {
            WhitelistRanges w = load("192.0.2.\n203.0.113.*\n198.51.100.:allow\nmx1 10.0.0.7\n10.0.1.7,10.0.1.8\n"
                    + "10.0.2.7;\n\"10.0.3.7\"\n10.4.0.0/24,\n+10.0.5.7\n10.0.6.7.5\n10.0.7.1-10.0.7.9\n");
            assertEquals(11, w.size());
            for (String in : new String[] {"192.0.2.200", "203.0.113.1", "198.51.100.99", "10.0.0.7", "10.0.1.7",
                "10.0.2.7", "10.0.3.7", "10.4.0.255", "10.0.5.7", "10.0.6.7", "10.0.7.1"}) {
                assertTrue(w.contains(InetAddress.getByName(in)), in);
            }
            for (String out : new String[] {"10.0.1.8", "10.0.6.5", "10.0.7.5", "10.0.0.8", "1.0.0.1"}) {
                assertFalse(w.contains(InetAddress.getByName(out)), out);
            }
        });
        assertEquals(List.of(
                "-w " + dir.resolve("white") + ":4: only 10.0.0.7 is read from this line, as greydaemon read it; the"
                        + " rest is ignored",
                "-w " + dir.resolve("white") + ":5: only 10.0.1.7 is read from this line, as greydaemon read it; the"
                        + " rest is ignored",
                "-w " + dir.resolve("white") + ":10: only 10.0.6.7 is read from this line, as greydaemon read it;"
                        + " the rest is ignored",
                "-w " + dir.resolve("white") + ":11: only 10.0.7.1 is read from this line, as greydaemon read it;"
                        + " the rest is ignored"), warnings);
    }

    /** A UTF-8 byte order mark is no text: greydaemon stopped at it when a comment followed it on the first line. */
    @Test
    void aByteOrderMarkIsSkipped() throws Exception {
        Path f = dir.resolve("white-bom");
        Files.write(f, "\uFEFF# our servers\n192.0.2.0/24\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, WhitelistRanges.load(f).size());
        Files.write(f, "\uFEFF192.0.2.7\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(WhitelistRanges.load(f).contains(InetAddress.getByName("192.0.2.7")));
    }

    /**
     * Where greydaemon was plainly wrong, the range the line names: the block of an address with bits past its
     * length, a one-digit address before '/'. A number over 255 or a length over 32 names no range: skipped,
     * with a warning, not a failed start.
     */
    @Test
    void greydaemonsMistakesAreNotRepeatedAndAreSaid() throws Exception {
        List<String> warnings = warningsOf(() -> {
            WhitelistRanges w = load("192.0.2.7/24\n2/16\n300.1.2.3\n10.0.0.0/33\n10.0.0.0/8\n10.0.0.0/24\n");
            assertEquals(4, w.size());
            assertTrue(w.contains(InetAddress.getByName("192.0.2.200")));
            assertTrue(w.contains(InetAddress.getByName("2.0.200.1")));
            assertFalse(w.contains(InetAddress.getByName("2.1.0.1")));
            assertFalse(w.contains(InetAddress.getByName("44.1.2.3")));
            assertTrue(w.contains(InetAddress.getByName("10.200.0.1")), "both lengths of 10.0.0.0 count");
        });
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).endsWith(":1: '192.0.2.7/24' has address bits past its /24; read as 192.0.2.0/24,"
                + " the block it names (greydaemon, keeping those bits, matched at most part of it)"), warnings.get(0));
        assertTrue(warnings.get(1).endsWith(":3: '300.1.2.3' has a number over 255; greydaemon wrapped it around to"
                + " another address; not loaded"), warnings.get(1));
        assertTrue(warnings.get(2).endsWith(":4: '10.0.0.0/33' has a prefix length over 32; not loaded"),
                warnings.get(2));
    }

    /** An IPv6 word that cannot be read is skipped with a warning naming its line, not mined for an IPv4 number. */
    @Test
    void anIpv6WordThatCannotBeReadIsSkippedAndSaid() throws Exception {
        List<String> warnings = warningsOf(() -> {
            WhitelistRanges w = load("192.0.2.7\nfe80::1%eth0\n");
            assertEquals(1, w.size());
            assertFalse(w.contains(InetAddress.getByName("80.0.0.1")));
        });
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).endsWith(":2: 'fe80::1%eth0' is not an IPv6 address or block that can be read;"
                + " not loaded (greydaemon, which knew no IPv6, read a number in it as an IPv4 range)"), warnings.get(0));
    }

    private interface Work {
        void run() throws Exception;
    }

    private static List<String> warningsOf(Work work) throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(WhitelistRanges.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            work.run();
        } finally {
            logger.detachAppender(log);
        }
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
