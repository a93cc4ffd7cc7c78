package org.greylite.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.greylite.greylist.GreylistSettings;
import org.greylite.relay.RelaySettings;
import org.junit.jupiter.api.Test;

class EnvironmentTest {

    @Test
    void greetDelayIsOffUnsetOnWhenSetAndAPositiveIntegerIsItsLength() {
        assertEquals(0, Environment.greetDelayMillis(Map.of()));
        assertEquals(RelaySettings.DEFAULT_GREET_DELAY_MS, Environment.greetDelayMillis(Map.of("GREETDELAY", "")));
        assertEquals(RelaySettings.DEFAULT_GREET_DELAY_MS, Environment.greetDelayMillis(Map.of("GREETDELAY", "yes")));
        assertEquals(RelaySettings.DEFAULT_GREET_DELAY_MS, Environment.greetDelayMillis(Map.of("GREETDELAY", "0")));
        assertEquals(2500, Environment.greetDelayMillis(Map.of("GREETDELAY", " 2500 ")));
    }

    @Test
    void durationsComeFromTheirVariablesOrStayAtTheBase() {
        GreylistSettings base = GreylistSettings.defaults();
        GreylistSettings s = Environment.greylistSettings(
                Map.of("GREYLITE_MIN_DELAY", "0", "GREYLITE_RETRY_WINDOW", "18h", "GREYLITE_WHITELIST_LIFETIME", " "), base);
        assertEquals(Duration.ZERO, s.minDelay());
        assertEquals(Duration.ofHours(18), s.retryWindow());
        assertEquals(base.whitelistLifetime(), s.whitelistLifetime(), "blank means unset");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Environment.greylistSettings(Map.of("GREYLITE_MIN_DELAY", "soon"), base));
        assertEquals("GREYLITE_MIN_DELAY: bad duration 'soon'", e.getMessage().substring(0, 39));
    }

    @Test
    void filesHaveGreylitesDefaults() {
        assertEquals(Path.of("/var/db/greylite/greylite.db"), Environment.dbFile(Map.of()));
        assertEquals(Path.of("/tmp/g.db"), Environment.dbFile(Map.of("DBFILE", "/tmp/g.db")));
        assertNull(Environment.suspicionFile(Map.of("SUSPICION", "")));
        assertEquals(Path.of("/etc/greylite/suspicion"), Environment.suspicionFile(Map.of("SUSPICION", "/etc/greylite/suspicion")));
    }
}
