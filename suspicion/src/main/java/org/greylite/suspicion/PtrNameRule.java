package org.greylite.suspicion;

/**
 * {@code r}: an extended regular expression searched for in the client's PTR name. A client without a PTR
 * name has the empty name, which is tested too ({@code ^$} catches exactly those clients). Case-sensitive,
 * as greylite's {@code regcomp(REG_EXTENDED)}: write {@code [Dd][Ss][Ll]} or lower case (resolvers hand
 * back names as published, almost always lower case).
 */
final class PtrNameRule implements Rule {

    private final EreMatcher regex;

    PtrNameRule(EreMatcher regex) {
        this.regex = regex;
    }

    @Override
    public LineOutcome test(Evaluation client) {
        if (!client.facts().namesKnown()) {
            return LineOutcome.NOT_EVALUABLE;
        }
        try {
            return regex.find(client.facts().ptrName()) ? LineOutcome.MATCHED : LineOutcome.NOT_MATCHED;
        } catch (EreMatcher.TextTooLong e) {
            return LineOutcome.NOT_EVALUABLE;
        }
    }

    @Override
    public String explain(Evaluation client) {
        if (!client.facts().namesKnown()) {
            return "cannot be evaluated: the client's PTR name is not known here (greydaemon is told none)";
        }
        String ptr = client.facts().ptrName();
        String name = ptr.isEmpty() ? "no PTR name (the empty name)" : "PTR name " + Quoting.quote(ptr);
        try {
            boolean matched = regex.find(ptr);
            return name + (matched ? " matches " : " does not match ") + "/" + regex.source() + "/";
        } catch (EreMatcher.TextTooLong e) {
            return "/" + regex.source() + "/ cannot be evaluated on the " + name + ": " + e.getMessage();
        }
    }
}
