package org.greylite.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
        c.pathArgument("FROM").ifPresent(p -> assertNotNull(p));
        c.pathArgument("TO").ifPresent(p -> assertNotNull(p));
    }
}
