package org.greylite.config;

import java.util.Map;

import org.greylite.settings.EnvironmentSettings;
import org.greylite.settings.Program;
import org.greylite.settings.Settings;
import org.greylite.text.ClientText;
import org.slf4j.LoggerFactory;

/**
 * Sets up logging from the greylite(8) variables before the first logger exists: LOGTHRESHOLD
 * (0 emerg .. 7 debug; messages less important than it are not reported) and LOGPID (each line starts
 * with the process id). Logs go to stderr, where multilog or journald collect them. The settings are
 * system properties read by {@code logback.xml} (in this module's resources, shared by every program).
 *
 * <p>Syslog priorities map onto log levels: 0-3 error, 4 warning, 5-6 info (decisions are info), 7 debug.
 * Each program's default threshold is the settings model's: greylited shows decisions (6) because an
 * administrator watching a new installation wants to see them; the tcpserver wrapper keeps greylite(8)'s
 * quieter default (3), greylitectl shows warnings (4).
 */
public final class Logging {

    private Logging() {
    }

    /** From {@code program}'s LOGTHRESHOLD and LOGPID, or the model's defaults for it. */
    public static void configure(Map<String, String> env, Program program) {
        EnvironmentSettings s = new EnvironmentSettings(env, program);
        int threshold = s.get(Settings.LOG_THRESHOLD);
        configure(threshold, s.get(Settings.LOG_PID));
        reportMalformedThreshold(env, program, threshold);
    }

    /**
     * From LOGTHRESHOLD (as the model reads it: a single digit 0-7, else {@code defaultThreshold}) and LOGPID
     * (set: on).
     */
    public static void configure(Map<String, String> env, int defaultThreshold) {
        // The variables mean the same to every program that reads them; only the default differs.
        String t = Settings.LOG_THRESHOLD.fromEnvironment(env, Program.GREYLITE);
        String pid = Settings.LOG_PID.fromEnvironment(env, Program.GREYLITE);
        int threshold = t == null ? defaultThreshold : Settings.LOG_THRESHOLD.parse(t);
        configure(threshold, pid != null && Settings.LOG_PID.parse(pid));
        reportMalformedThreshold(env, Program.GREYLITE, threshold);
    }

    /**
     * A LOGTHRESHOLD that is not a single digit 0-7 is ignored, as greylite(8) ignores it; but not silently: an
     * administrator who wrote 9 or "debug" would otherwise wonder why nothing changed. The connection is not
     * refused for a log setting. The line is an error, not a warning, because at the threshold then in force
     * (3 for the wrapper) a warning would not be shown, which is the silence this is about.
     */
    public static void reportMalformedThreshold(Map<String, String> env, Program program, int used) {
        String raw = env.get("LOGTHRESHOLD");
        if (raw == null || raw.isBlank() || Settings.LOG_THRESHOLD.fromEnvironment(env, program) != null) {
            return; // unset, blank (as unset), or a good value
        }
        LoggerFactory.getLogger(Logging.class).error(
                "LOGTHRESHOLD '{}' ignored: not a priority 0-7 (0 emerg .. 7 debug); the threshold is {}",
                printable(raw), used);
    }

    /** The value as the log may show it: it comes from the environment, and must not forge a line. */
    private static String printable(String s) {
        return ClientText.printable(s, 40);
    }

    public static void configure(int threshold, boolean pid) {
        String level = threshold <= 3 ? "ERROR" : threshold == 4 ? "WARN" : threshold <= 6 ? "INFO" : "DEBUG";
        System.setProperty("greylite.log.level", level);
        System.setProperty("greylite.log.prefix", pid ? ProcessHandle.current().pid() + " " : "");
    }
}
