package org.greylite.suspicion;

/**
 * The suspicion line that decided a message: where it stands and what it says, for the decision log.
 *
 * @param file the suspicion file's path as given by the administrator
 * @param line the 1-based line number
 * @param text the line as written
 */
public record RuleMatch(String file, int line, String text) {
    @Override
    public String toString() {
        return file + ":" + line + " (" + text + ")";
    }
}
