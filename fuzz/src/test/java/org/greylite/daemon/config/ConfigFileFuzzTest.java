package org.greylite.daemon.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * greylited's configuration file as an administrator might mistype it: it loads, or it is refused with a
 * {@link ConfigException} that names the file and the line; every entry read has a name, and a line number within
 * the file.
 */
class ConfigFileFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void loadsOrNamesTheLine(FuzzedDataProvider data) {
        List<String> lines = data.consumeRemainingAsString().lines().toList();
        try {
            ConfigFile file = ConfigFile.parse("greylited.conf", lines);
            for (ConfigFile.Entry e : file.entries()) {
                assertFalse(e.name().isEmpty(), "an entry without a name");
                assertTrue(e.line() >= 1 && e.line() <= lines.size(), "line " + e.line());
                assertTrue(file.where(e).startsWith("greylited.conf:"), file.where(e));
            }
        } catch (ConfigException e) {
            assertTrue(e.getMessage().startsWith("greylited.conf:"), e.getMessage());
        }
    }
}
