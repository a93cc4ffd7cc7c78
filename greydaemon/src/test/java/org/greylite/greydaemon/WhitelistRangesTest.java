package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void aLineWithoutARangeIsNamedByFileAndLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("# ok\n192.0.2\nour friends\n"));
        assertTrue(e.getMessage().endsWith("white:3: 'our' is not an address range (192.0.2.0/24, 192.0.2.7, 192.0.2, 10.1)"),
                e.getMessage());
    }
}
