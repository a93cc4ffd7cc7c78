package org.greylite.suspicion;

/**
 * What one line said about one client, and why.
 *
 * @param line    where the line stands and what it says
 * @param outcome whether it matched (after {@code !})
 * @param reason  why, in words: the facts the rule looked at
 */
public record LineExplanation(RuleMatch line, LineOutcome outcome, String reason) {

    /** {@code file:line: outcome: reason  [text]}. */
    @Override
    public String toString() {
        return line.file() + ":" + line.line() + ": " + outcome.words() + ": " + reason + "  [" + line.text() + "]";
    }
}
