package org.greylite.settings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.greylite.greylist.Durations;

/** How a setting's text becomes a value: one conversion per kind of setting, whichever program reads it. */
final class Parsers {

    private Parsers() {
    }

    static String text(String v) {
        return v;
    }

    static Path path(String v) {
        return Path.of(v.strip());
    }

    static Duration duration(String v) {
        return Durations.parse(v);
    }

    /** A duration where 0 would mean nothing sensible (a timeout, a period): a second or more. */
    static Duration positiveDuration(String v) {
        Duration d = Durations.parse(v);
        if (d.isZero()) {
            throw new IllegalArgumentException("must be 1s or more: seconds (300) or a number with a unit (30s, 5m, 1h),"
                    + " not '" + v + "'");
        }
        return d;
    }

    /** A duration as {@link Durations} reads it, or milliseconds written {@code 500ms}. */
    static Duration millisOrDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            String digits = t.substring(0, t.length() - 2);
            if (!digits.matches("[0-9]{1,9}")) {
                throw new IllegalArgumentException("bad duration '" + text + "'");
            }
            return Duration.ofMillis(Long.parseLong(digits));
        }
        return Durations.parse(t);
    }

    static Integer positiveInt(String v) {
        try {
            int n = Integer.parseInt(v.strip());
            if (n < 1) {
                throw new IllegalArgumentException("'" + v + "' is not a positive number");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v + "' is not a number");
        }
    }

    /** The longest command line: RFC 5321 4.5.3.1.4 has servers take lines of 512 bytes. */
    static Integer lineLimit(String v) {
        Integer n = positiveInt(v);
        if (n < 512) {
            throw new IllegalArgumentException("'" + v + "' is below 512 bytes, the line length RFC 5321 4.5.3.1.4"
                    + " has servers accept");
        }
        return n;
    }

    /**
     * The flag's and configuration file's log threshold: a number, said so with its range when it is none
     * ({@code log-threshold = info} was refused with Java's own "For input string"); the range itself is checked
     * where logging is set up, which names the flag.
     */
    static Integer logThresholdNumber(String v) {
        try {
            return Integer.valueOf(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v + "' is not a number: 0 (emergencies only) to 7 (debug)");
        }
    }

    /** A limit on a number of things, 0 or more, 0 for none. */
    static Integer limit(String v) {
        return count(v, "0 for no limit");
    }

    /** The length of an IPv6 network prefix, 1 to 128 (128: one address). */
    static Integer ipv6Prefix(String v) {
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 1 && n <= 128) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("'" + v + "' is not an IPv6 prefix length (1 to 128; 128: each address apart)");
    }

    /** The passed triplets that earn the auto-whitelist, 0 or more, 0 for never. */
    static Integer passes(String v) {
        return count(v, "0 turns auto-whitelisting off");
    }

    /** A number of things, 0 or more; {@code zero} says what 0 means for this setting. */
    private static Integer count(String v, String zero) {
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("'" + v + "' is not a number (0 or more; " + zero + ")");
    }

    static Long millis(String v) {
        try {
            long n = Long.parseLong(v.strip());
            if (n < 0) {
                throw new IllegalArgumentException("must be 0 (off) or a number of milliseconds, not '" + v + "'");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be 0 (off) or a number of milliseconds, not '" + v + "'");
        }
    }

    /** On/off as the configuration file writes it: {@code true/yes/on/1} and {@code false/no/off/0}. */
    static Boolean onOff(String v) {
        switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1":
                return true;
            case "false", "no", "off", "0":
                return false;
            default:
                throw new IllegalArgumentException("wants true or false, not '" + v + "'");
        }
    }

    /** A list written as the configuration file and the variables write it: separated by spaces or commas. */
    static List<String> list(String v) {
        String t = v.strip();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("[\\s,]+"));
    }

    static List<Path> paths(String v) {
        return list(v).stream().map(Path::of).toList();
    }

    // ---- What a variable's value means, where greylite(8) gave it a meaning of its own.

    /** greylite(8): GREETDELAY set means on; a positive integer is the delay in ms, anything else 6000. */
    static String greetDelay(String raw) {
        try {
            long ms = Long.parseLong(raw.trim());
            if (ms > 0) {
                return Long.toString(ms);
            }
        } catch (NumberFormatException e) {
            // any other value: on, with the default delay
        }
        return Long.toString(org.greylite.relay.RelaySettings.GREETDELAY_ON_MS);
    }

    /** greylite(8) ignores a LOGTHRESHOLD that is not a single digit 0-7, and so do we. */
    static String logThreshold(String raw) {
        return raw.strip().matches("[0-7]") ? raw.strip() : null;
    }

    /** greylite(8)'s switches (LOGPID, RELAYCLIENT): set, whatever the value, means on. */
    static String set(String raw) {
        return "true";
    }

    /**
     * Our own switches ({@code GREYLITE_FAIL_CLOSED}): set means on, as greylite(8)'s switches are, so that
     * tcprules' {@code GREYLITE_FAIL_CLOSED=""} works; but an explicit {@code 0}, {@code no}, {@code false}
     * or {@code off} means off, since reading {@code GREYLITE_FAIL_CLOSED=false} as "fail closed" would
     * surprise everyone.
     */
    static String switchOn(String raw) {
        String v = raw.strip().toLowerCase(Locale.ROOT);
        return v.equals("0") || v.equals("no") || v.equals("false") || v.equals("off") ? "false" : "true";
    }
}
