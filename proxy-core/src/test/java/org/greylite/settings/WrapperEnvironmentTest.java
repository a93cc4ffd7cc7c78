package org.greylite.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.GreylistSettings;
import org.greylite.relay.RelaySettings;
import org.junit.jupiter.api.Test;

/** greylite(8)'s environment variables as the tcpserver wrapper reads them through the settings model. */
class WrapperEnvironmentTest {

    private static EnvironmentSettings wrapper(Map<String, String> env) {
        return new EnvironmentSettings(env, Program.GREYLITE);
    }

    @Test
    void greetDelayIsOffUnsetOnWhenSetAndAPositiveIntegerIsItsLength() {
        assertEquals(0L, wrapper(Map.of()).get(Settings.GREET_DELAY));
        assertEquals(RelaySettings.GREETDELAY_ON_MS, wrapper(Map.of("GREETDELAY", "")).get(Settings.GREET_DELAY));
        assertEquals(RelaySettings.GREETDELAY_ON_MS, wrapper(Map.of("GREETDELAY", "yes")).get(Settings.GREET_DELAY));
        assertEquals(RelaySettings.GREETDELAY_ON_MS, wrapper(Map.of("GREETDELAY", "0")).get(Settings.GREET_DELAY));
        assertEquals(2500L, wrapper(Map.of("GREETDELAY", " 2500 ")).get(Settings.GREET_DELAY));
        assertEquals(2500L, wrapper(Map.of("GREETDELAY", "2500")).relay("mx.example").greetDelayMillis());
    }

    @Test
    void durationsComeFromTheirVariablesOrStayAtTheDefaults() {
        GreylistSettings defaults = GreylistSettings.defaults();
        GreylistSettings s = wrapper(Map.of("GREYLITE_MIN_DELAY", "0", "GREYLITE_RETRY_WINDOW", "18h",
                "GREYLITE_WHITELIST_LIFETIME", " ")).greylist();
        assertEquals(Duration.ZERO, s.minDelay());
        assertEquals(Duration.ofHours(18), s.retryWindow());
        assertEquals(defaults.whitelistLifetime(), s.whitelistLifetime(), "blank means unset");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> wrapper(Map.of("GREYLITE_MIN_DELAY", "soon")).greylist());
        assertEquals("GREYLITE_MIN_DELAY: bad duration 'soon'", e.getMessage().substring(0, 39));
    }

    @Test
    void filesHaveGreylitesDefaults() {
        assertEquals("/var/db/greylite/greylite.db", wrapper(Map.of()).get(Settings.DB));
        assertEquals("/tmp/g.db", wrapper(Map.of("DBFILE", "/tmp/g.db")).get(Settings.DB));
        assertNull(wrapper(Map.of("SUSPICION", "")).get(Settings.SUSPICION));
        assertEquals(Path.of("/etc/greylite/suspicion"),
                wrapper(Map.of("SUSPICION", "/etc/greylite/suspicion")).get(Settings.SUSPICION));
    }
}
