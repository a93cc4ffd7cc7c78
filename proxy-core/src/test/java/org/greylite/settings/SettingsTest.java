package org.greylite.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.greylite.greylist.GreylistSettings;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.Replies;
import org.greylite.store.GreydbOptions;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void everyDefaultIsAValueOfItsSettingAndEveryVariableBelongsToOneSetting() {
        Set<String> variables = new HashSet<>();
        for (Setting<?> s : Settings.ALL) {
            for (Program p : Program.values()) {
                String d = s.defaultValue(p);
                if (d != null) {
                    s.parse(d); // throws for a default that is no value
                }
            }
            if (s.variable() != null) {
                assertTrue(variables.add(s.variable()), s.variable() + " stands for two settings");
            }
            assertTrue(s.description().length() > 20, s.name());
        }
        assertSame(Settings.MIN_DELAY, Settings.byName("min-delay"));
        assertSame(Variables.PGPASSWORD, Settings.byName("PGPASSWORD"));
        assertNull(Settings.byName("max-commands"));
    }

    @Test
    void theModelsDefaultsAreTheEnginesWithoutTheEnvironment() throws Exception {
        EnvironmentSettings none = new EnvironmentSettings(Map.of(), Program.GREYLITE);
        GreylistSettings engine = GreylistSettings.defaults();
        GreylistSettings model = none.greylist();
        assertEquals(engine.minDelay(), model.minDelay());
        assertEquals(engine.retryWindow(), model.retryWindow());
        assertEquals(engine.whitelistLifetime(), model.whitelistLifetime());
        assertEquals(engine.failOpen(), model.failOpen());
        assertEquals(engine.maxPending(), model.maxPending());
        assertEquals(engine.whitelistMemory(), none.get(Settings.WHITELIST_MEMORY));
        InetAddress client = InetAddress.getByName("192.0.2.7");
        assertEquals(engine.clientKeys().keyFor(client, "mail-1.example.net"),
                model.clientKeys().keyFor(client, "mail-1.example.net"));
        RelaySettings relay = none.relay("mx.example.org");
        assertEquals(RelaySettings.defaults("mx.example.org"), relay);
        assertEquals(Replies.DEFAULT_GREYLIST, relay.replies().greylistTemplate());
        assertEquals(GreydbOptions.DEFAULT_TIMEOUT, none.get(Settings.BUSY_TIMEOUT));
        assertEquals("/var/db/greylite/greylite.db", none.get(Settings.DB));
        assertEquals(3, none.get(Settings.LOG_THRESHOLD), "greylite(8)'s quieter default");
        assertEquals(6, new EnvironmentSettings(Map.of(), Program.GREYLITED).get(Settings.LOG_THRESHOLD));
        assertNull(new EnvironmentSettings(Map.of(), Program.GREYLITED).get(Settings.DB), "greylited works it out");
    }

    @Test
    void aVariableCountsOnlyForTheProgramsThatHonourIt() {
        Map<String, String> env = Map.of("DNSCACHEIP", "192.0.2.53", "GREYLITE_LOG_FORMAT", "json");
        assertEquals(java.util.List.of("192.0.2.53"), new EnvironmentSettings(env, Program.GREYLITED).get(Settings.DNS));
        assertNull(new EnvironmentSettings(env, Program.GREYLITECTL).get(Settings.DNS), "greylitectl does no DNS");
        assertEquals("text", new EnvironmentSettings(env, Program.GREYLITE).get(Settings.LOG_FORMAT));
    }

    @Test
    void variablesKeepTheirMeanings() {
        EnvironmentSettings wrapper = new EnvironmentSettings(Map.of("GREETDELAY", "", "LOGPID", "0",
                "LOGTHRESHOLD", "debug", "GREYLITE_FAIL_CLOSED", "", "GREYLITE_NO_SHIPPED_WHITELIST", "off",
                "GREYLITE_MIN_DELAY", " "), Program.GREYLITE);
        assertEquals(RelaySettings.GREETDELAY_ON_MS, wrapper.get(Settings.GREET_DELAY), "set: on, 6000 ms");
        assertTrue(wrapper.get(Settings.LOG_PID), "greylite(8): set means on, whatever the value");
        assertEquals(3, wrapper.get(Settings.LOG_THRESHOLD), "not a digit 0-7: ignored");
        assertTrue(wrapper.get(Settings.FAIL_CLOSED), "our switches: set means on...");
        assertFalse(wrapper.get(Settings.NO_SHIPPED_WHITELIST), "...except to 0, no, false or off");
        assertEquals(Duration.ofMinutes(5), wrapper.get(Settings.MIN_DELAY), "blank means unset");
        assertFalse(wrapper.greylist().failOpen());
    }

    @Test
    void thePendingCapReachesTheEngineFromItsVariable() {
        assertEquals(25, new EnvironmentSettings(Map.of("GREYLITE_MAX_PENDING", "25"), Program.GREYLITE)
                .greylist().maxPending());
        assertEquals(0, new EnvironmentSettings(Map.of("GREYLITE_MAX_PENDING", "0"), Program.GREYDAEMON)
                .greylist().maxPending(), "0: no cap");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new EnvironmentSettings(
                Map.of("GREYLITE_MAX_PENDING", "lots"), Program.GREYLITE).greylist()).getMessage()
                .startsWith("GREYLITE_MAX_PENDING: 'lots' is not a number"));
    }

    @Test
    void aBadValueIsReportedWithItsVariable() {
        EnvironmentSettings s = new EnvironmentSettings(Map.of("GREYLITE_RETRY_WINDOW", "soon",
                "GREYLITE_MAX_LINE", "100", "GREYLITE_CLIENT_KEY", "street"), Program.GREYLITE);
        assertTrue(assertThrows(IllegalArgumentException.class, s::greylist).getMessage()
                .startsWith("GREYLITE_RETRY_WINDOW: bad duration 'soon'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.relay("mx")).getMessage()
                .startsWith("GREYLITE_MAX_LINE: '100' is below 512 bytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.get("client-key")).getMessage()
                .startsWith("GREYLITE_CLIENT_KEY: "));
    }
}
