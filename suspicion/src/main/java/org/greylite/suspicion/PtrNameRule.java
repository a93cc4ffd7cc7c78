package org.greylite.suspicion;

/**
 * {@code r}: an extended regular expression searched for in the client's PTR name. A client without a PTR
 * name has the empty name, which is tested too ({@code ^$} catches exactly those clients). Case is ignored,
 * as greylite 2.3's {@code regcomp(REG_EXTENDED | REG_ICASE)} ignored it: the programs hand the rules the name
 * in lower case, so a case-sensitive {@code DSL} carried over from a greylite file would never match.
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
            return "the client's PTR name is not known here (greydaemon is told none)";
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
