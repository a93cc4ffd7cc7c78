package org.greylite.suspicion;

/**
 * A suspicion line that was not loaded: of unknown kind (ignored) or malformed (discarded).
 *
 * @param file   the suspicion file as named by the administrator
 * @param line   the 1-based line number
 * @param text   the line as written
 * @param reason    what is wrong and what was done, e.g. {@code unknown kind 'x', line ignored}
 * @param malformed true for a line discarded as malformed; false for a line of unknown kind, which SPEC §5 ignores
 *                  (a kind a newer version knows, say) and which therefore keeps no reload out
 */
public record Problem(String file, int line, String text, String reason, boolean malformed) {

    /** {@code file:line: reason}, the form compilers use, so that editors can jump to the line. */
    @Override
    public String toString() {
        return file + ":" + line + ": " + reason;
    }
}
