package org.greylite.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;

import org.greylite.smtp.CommandLine;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Any line a client may send: parsing never fails, keeps the raw bytes for forwarding untouched, gives an
 * upper-case verb, and the envelope paths it extracts never fail either.
 */
class CommandLineFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void anyLineParses(byte[] line) {
        CommandLine c = CommandLine.parse(line);
        assertArrayEquals(line, c.raw());
        assertNotNull(c.args());
        assertEquals(c.verb().toUpperCase(Locale.ROOT), c.verb());
        c.hasControlCharacters();
        c.pathArgument("FROM").ifPresent(CommandLineFuzzTest::holdsNoDelimiterOutsideQuotes);
        c.pathArgument("TO").ifPresent(CommandLineFuzzTest::holdsNoDelimiterOutsideQuotes);
    }

    /**
     * A path read holds no bracket or parenthesis outside a quoted local part: one there would let an upstream read
     * another address from the line than the one decided (qmail-smtpd's first {@code <}, Postfix's comments).
     */
    private static void holdsNoDelimiterOutsideQuotes(String path) {
        boolean quoted = false;
        for (int i = 0; i < path.length(); i++) {
            char ch = path.charAt(i);
            if (quoted && ch == '\\') {
                i++;
            } else if (ch == '"') {
                quoted = !quoted;
            } else if (!quoted) {
                assertTrue("<>()".indexOf(ch) < 0, "'" + ch + "' outside quotes in the path read: " + path);
            }
        }
    }
}
