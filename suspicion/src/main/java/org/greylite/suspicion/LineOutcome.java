package org.greylite.suspicion;

/** What one suspicion line said about one client. */
public enum LineOutcome {
    /** The line matched (after {@code !}, if any): it decides N and makes the client suspicious. */
    MATCHED,
    /** The line did not match: the next line is tried. */
    NOT_MATCHED,
    /**
     * The line could not be evaluated for this client (a {@code g} line without a GeoIP database able to
     * place the address; a regular expression the engine cannot search for in a very long HELO or address): it
     * does not match, with or without {@code !}, and the next line is tried.
     */
    NOT_EVALUABLE;

    /** The outcome under {@code !}: a match and a miss swap; what cannot be evaluated stays so. */
    LineOutcome negated() {
        return switch (this) {
            case MATCHED -> NOT_MATCHED;
            case NOT_MATCHED -> MATCHED;
            case NOT_EVALUABLE -> NOT_EVALUABLE;
        };
    }

    /** Lower-case words for explanations. */
    public String words() {
        return switch (this) {
            case MATCHED -> "match";
            case NOT_MATCHED -> "no match";
            case NOT_EVALUABLE -> "cannot evaluate";
        };
    }
}
