package org.greylite.settings;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Any value an administrator might give any setting, as a flag, a configuration-file line or an environment variable
 * (GREYLIST, DBFILE, GREYLITE_MIN_DELAY, ...): it is read, or refused with an {@link IllegalArgumentException} that
 * says why; nothing else is thrown (an overflowing number included), whatever program reads it.
 */
class SettingsFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void everyValueIsReadOrRefused(FuzzedDataProvider data) {
        Setting<?> setting = Settings.ALL.get(data.consumeInt(0, Settings.ALL.size() - 1));
        Program program = data.pickValue(Program.values());
        String text = data.consumeRemainingAsString();
        String value = setting.variable() == null ? text
                : setting.fromEnvironment(Map.of(setting.variable(), text), program);
        try {
            setting.parse(value == null ? text : value);
        } catch (IllegalArgumentException e) {
            assertNotNull(e.getMessage(), "a refusal says why");
        }
    }
}
