package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesSecondsAndUnits() {
        assertEquals(Duration.ofSeconds(300), Durations.parse("300"));
        assertEquals(Duration.ofSeconds(45), Durations.parse("45s"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofHours(24), Durations.parse("24h"));
        assertEquals(Duration.ofDays(36), Durations.parse("36d"));
        assertEquals(Duration.ofDays(14), Durations.parse("2w"));
        assertEquals(Duration.ZERO, Durations.parse("0"));
        assertEquals(Duration.ofHours(18), Durations.parse(" 18H "), "spaces around and upper case");
    }

    @Test
    void badInputsSayWhatToWrite() {
        assertMessage("", "empty duration");
        assertMessage("   ", "empty duration");
        assertMessage(null, "empty duration");
        assertMessage("abc", "bad duration 'abc'");
        assertMessage("m", "bad duration 'm'");
        assertMessage("5 m", "bad duration '5 m'");
        assertMessage("1.5h", "bad duration '1.5h'");
        assertMessage("5x", "bad unit 'x' in duration '5x'");
        assertMessage("-5", "negative duration '-5'");
        assertMessage("-5m", "negative duration '-5m'");
        assertMessage("99999999999999999999", "bad duration");
    }

    @Test
    void aDurationTooLongForJavaIsAnAdministratorsError() {
        assertMessage("9223372036854775807d", "too long");
        assertMessage("9223372036854775807w", "too long");
        assertMessage("2635249153387078803w", "too long"); // 7 * n wraps around to 5
    }

    @Test
    void aDurationBeyondAHundredYearsIsTooLong() {
        assertEquals(Duration.ofDays(36500), Durations.parse("36500d"));
        assertEquals(Duration.ofDays(36500), Durations.parse("5214w").plusDays(2));
        assertMessage("36501d", "too long; the longest is 36500d (100 years)");
        assertMessage("999999999999999999", "too long");
        assertMessage("9999999999999s", "too long");
    }

    private static void assertMessage(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text), text);
        assertTrue(e.getMessage().contains(expected), "'" + text + "': " + e.getMessage());
    }

    @Test
    void formatGivesTheShortestExactText() {
        assertEquals("5m", Durations.format(Duration.ofSeconds(300)));
        assertEquals("1d", Durations.format(Duration.ofHours(24)));
        assertEquals("18h", Durations.format(Duration.ofHours(18)));
        assertEquals("36d", Durations.format(Duration.ofDays(36)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("25h", Durations.format(Duration.ofHours(25)));
        assertEquals("0s", Durations.format(Duration.ZERO));
    }

    @Test
    void formatAndParseRoundTrip() {
        for (long s : new long[] {0, 1, 59, 60, 61, 300, 3599, 3600, 86399, 86400, 18 * 3600, 36 * 86400, 1_000_000}) {
            Duration d = Duration.ofSeconds(s);
            assertEquals(d, Durations.parse(Durations.format(d)), Durations.format(d));
        }
    }
}
