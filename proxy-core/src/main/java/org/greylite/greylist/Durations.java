package org.greylite.greylist;

import java.time.Duration;
import java.util.Locale;

/** Parses the durations administrators write: seconds ({@code 300}) or with a unit ({@code 5m}, {@code 24h}, {@code 36d}). */
public final class Durations {

    /** Every unit {@link #parse} accepts, as error messages name them: an admin who tried another needs the list. */
    private static final String HOW_TO_WRITE = "write whole seconds (300) or a number with a unit s, m, h, d or w"
            + " (30s, 5m, 24h, 36d, 2w)";

    /**
     * The longest duration any setting takes: 100 years, more than any lifetime, window or timeout means. Past it
     * the programs' time arithmetic overflows, not at the start but where the duration is used: a whitelist lifetime
     * of 999999999999999999 s went past the last instant Java can count at the first retry of a passed triplet,
     * which every time was answered "451 4.3.0 greylisting is temporarily unavailable", and a busy timeout in
     * nanoseconds stopped the start with "long overflow", naming nothing.
     */
    static final Duration LONGEST = Duration.ofDays(36500);

    private Durations() {
    }

    /** @throws IllegalArgumentException with a message fit for an administrator */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty duration; " + HOW_TO_WRITE);
        }
        char unit = t.charAt(t.length() - 1);
        String digits = Character.isDigit(unit) ? t : t.substring(0, t.length() - 1);
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad duration '" + text + "'; " + HOW_TO_WRITE);
        }
        if (n < 0) {
            throw new IllegalArgumentException("negative duration '" + text + "'");
        }
        Duration d;
        try {
            d = inUnit(n, unit, text);
        } catch (ArithmeticException e) {
            d = null;
        }
        if (d == null || d.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException("duration '" + text + "' is too long; the longest is " + format(LONGEST)
                    + " (100 years)");
        }
        return d;
    }

    private static Duration inUnit(long n, char unit, String text) {
        switch (unit) {
            case 's':
                return Duration.ofSeconds(n);
            case 'm':
                return Duration.ofMinutes(n);
            case 'h':
                return Duration.ofHours(n);
            case 'd':
                return Duration.ofDays(n);
            case 'w':
                return Duration.ofDays(Math.multiplyExact(7, n));
            default:
                if (Character.isDigit(unit)) {
                    return Duration.ofSeconds(n);
                }
                throw new IllegalArgumentException("bad unit '" + unit + "' in duration '" + text + "'; use s, m, h, d or w");
        }
    }

    /** The shortest exact text for a duration, as {@link #parse} reads it back. */
    public static String format(Duration d) {
        long s = d.getSeconds();
        if (s != 0 && s % 86400 == 0) {
            return s / 86400 + "d";
        }
        if (s != 0 && s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s != 0 && s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
