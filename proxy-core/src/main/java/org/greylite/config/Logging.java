package org.greylite.config;

import java.util.Map;

/**
 * Sets up logging from the greylite(8) variables before the first logger exists: LOGTHRESHOLD
 * (0 emerg .. 7 debug; messages less important than it are not reported) and LOGPID (each line starts
 * with the process id). Logs go to stderr, where multilog or journald collect them. The settings are
 * system properties read by {@code logback.xml} (in this module's resources, shared by every program).
 *
 * <p>Syslog priorities map onto log levels: 0-3 error, 4 warning, 5-6 info (decisions are info), 7 debug.
 * greylited shows decisions by default (threshold 6) because an administrator watching a new
 * installation wants to see them; the tcpserver wrapper keeps greylite(8)'s quieter default (3).
 */
public final class Logging {

    private Logging() {
    }

    public static void configure(Map<String, String> env, int defaultThreshold) {
        int threshold = defaultThreshold;
        String t = env.get("LOGTHRESHOLD");
        if (t != null && t.trim().length() == 1 && t.trim().charAt(0) >= '0' && t.trim().charAt(0) <= '7') {
            threshold = t.trim().charAt(0) - '0';
        }
        String level = threshold <= 3 ? "ERROR" : threshold == 4 ? "WARN" : threshold <= 6 ? "INFO" : "DEBUG";
        System.setProperty("greylite.log.level", level);
        System.setProperty("greylite.log.prefix", env.containsKey("LOGPID") ? ProcessHandle.current().pid() + " " : "");
    }
}
