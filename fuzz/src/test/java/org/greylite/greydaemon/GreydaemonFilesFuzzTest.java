package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * greydaemon's two files, a line at a time: a line of its {@code -w} file names a range, is skipped with a warning,
 * or (with no digit at all, where greydaemon stopped) is refused with an {@link IllegalArgumentException}; a line of
 * an old save file is an entry or skipped (null), never a failure. Read as both take their bytes, a character each.
 */
class GreydaemonFilesFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void everyLineIsReadOrSkipped(byte[] bytes) {
        String line = new String(bytes, StandardCharsets.ISO_8859_1);
        SaveFileLines.Entry entry = SaveFileLines.entry(line);
        if (entry instanceof SaveFileLines.Pending p) {
            assertNotNull(p.client());
            assertTrue(p.time() >= 0, line);
        }
        int hash = line.indexOf('#');
        String text = (hash < 0 ? line : line.substring(0, hash)).strip();
        if (text.isEmpty()) {
            return; // the loader skips it before reading
        }
        try {
            WhitelistLine.Read read = WhitelistLine.read(text);
            assertTrue(read.range() != null || read.warning() != null, "a skip says why: " + text);
        } catch (IllegalArgumentException e) {
            assertFalse(text.chars().anyMatch(Character::isDigit) && e.getMessage().contains("holds no address"),
                    "refused though it holds a digit: " + text);
        }
    }
}
