package org.greylite.daemon;

import java.util.Locale;

import org.greylite.config.Logging;

/**
 * greylited's logging, set before the first logger exists: the threshold and pid prefix of greylite(8)
 * ({@link Logging}, the same for every program) and the line format. {@code text} is {@value #TEXT_CONFIG},
 * the lines of the shared {@code logback.xml}; {@code json} is {@value #JSON_CONFIG}: one JSON object per line
 * (logback's own {@code JsonEncoder}), whose {@code formattedMessage} is the same text as the text format's,
 * so the {@code decision ...} and {@code session end ...} lines stay greppable inside it. Both write stderr a
 * batch at a time ({@link BatchedStderrAppender}).
 */
final class LogSetup {

    static final String TEXT_CONFIG = "org/greylite/daemon/logback-text.xml";
    static final String JSON_CONFIG = "org/greylite/daemon/logback-json.xml";

    private LogSetup() {
    }

    /**
     * The format's name, once the values are found usable (for --print-config too, which configures nothing).
     *
     * @throws IllegalArgumentException for a threshold outside 0-7 or an unknown format
     */
    static String check(int threshold, String format) {
        if (threshold < 0 || threshold > 7) {
            throw new IllegalArgumentException("--log-threshold must be 0 (emergencies only) to 7 (debug), not " + threshold);
        }
        String f = format.strip().toLowerCase(Locale.ROOT);
        if (!f.equals("text") && !f.equals("json")) {
            throw new IllegalArgumentException("--log-format must be text or json, not '" + format + "'");
        }
        return f;
    }

    /**
     * @throws IllegalArgumentException for a threshold outside 0-7 or an unknown format
     */
    static void configure(int threshold, boolean pid, String format) {
        String f = check(threshold, format);
        Logging.configure(threshold, pid);
        if (f.equals("json")) {
            System.setProperty("greylite.log.pid", Boolean.toString(pid));
        }
        // An administrator's own -Dlogback.configurationFile stays in charge.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", f.equals("json") ? JSON_CONFIG : TEXT_CONFIG);
        }
    }
}
