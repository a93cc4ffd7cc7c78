package org.greylite.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Map;

import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Program;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The connection stage built from settings read without a command line (the environment, as a program
 * without flags reads them): the same providers greylited builds from its flags, and errors that name the
 * variable the administrator wrote.
 */
class ConnectStageSettingsTest {

    private static ConnectStage stage(Map<String, String> env) {
        return new ConnectStage(new EnvironmentSettings(env, Program.GREYLITED), LoggerFactory.getLogger("test"));
    }

    @Test
    void theDefaultsLookUpNamesAndTrustNoLoadBalancer() throws Exception {
        ConnectStage stage = stage(Map.of("DNSCACHEIP", "127.0.0.1"));
        TrustedProxies proxies = stage.trustedProxies();
        assertTrue(proxies.isEmpty());
        assertEquals(false, proxies.trusts(InetAddress.getByName("127.0.0.1")));
        PtrLookup ptr = stage.ptrLookup();
        assertNotNull(ptr, "--ptr-timeout's default is 5s: lookups on");
        assertTrue(ptr.describe().contains("127.0.0.1"), ptr.describe());
        assertNull(stage.dnswlLookup(), "no --dnswl: no DNSWL lookups");
        assertNull(stage.accessRules(() -> { }), "no --access: no access rules");
    }

    @Test
    void aBadResolverNamesTheVariableItCameFrom() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> stage(Map.of("DNSCACHEIP", "127.0.0.1 resolver.example")).ptrLookup());
        assertTrue(e.getMessage().contains("DNSCACHEIP"), e.getMessage());
        assertTrue(e.getMessage().contains("resolver.example"), e.getMessage());
    }
}
