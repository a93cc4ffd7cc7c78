package org.greylite.connect;

import java.util.Map;
import java.util.Objects;

/**
 * One line of an access file: where it stands, what it says, and what it tells greylited to do.
 *
 * @param file      the access file as named by the administrator
 * @param line      the 1-based line number
 * @param text      the line as written
 * @param allowed   {@code allow} (true) or {@code deny} (false)
 * @param variables the variables the line sets, e.g. {@code RELAYCLIENT=""}; they reach the session as
 *                  tcpserver's environment would ({@code v} suspicion rules, {@code RELAYCLIENT} and
 *                  {@code WHITELISTED} skip greylisting)
 */
public record AccessRule(String file, int line, String text, boolean allowed, Map<String, String> variables) {

    public AccessRule {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(text, "text");
        variables = Map.copyOf(variables);
    }

    /** {@code file:line (text)}, for logs. */
    @Override
    public String toString() {
        return file + ":" + line + " (" + text + ")";
    }
}
