package org.greylite.suspicion;

import java.util.List;

/**
 * {@code v}: space-separated variable names; holds when any of them is set, even to the empty string.
 *
 * <p>If the first listed variable that is set has a positive integer value, that value is N instead of the
 * line's NUMBER (e.g. tcprules setting {@code SUSPICION_N=5}). Only that first set variable counts: when
 * its value is not a positive integer the line's NUMBER stands, even if a later listed variable holds a
 * number. A value too large for N means "practically forever" and is capped at {@link Integer#MAX_VALUE}.
 */
final class VariableRule implements Rule {

    private final String[] names;

    VariableRule(List<String> names) {
        this.names = names.toArray(String[]::new);
    }

    @Override
    public LineOutcome test(Evaluation client) {
        return firstSet(client.facts()) != null ? LineOutcome.MATCHED : LineOutcome.NOT_MATCHED;
    }

    /** N taken from the first set variable's value, or -1 when that value is not a positive integer. */
    int refusalsFrom(ClientFacts facts) {
        String name = firstSet(facts);
        return name == null ? -1 : positiveInteger(facts.variables().get(name));
    }

    @Override
    public String explain(Evaluation client) {
        return explain(client, true);
    }

    /**
     * As {@link #explain(Evaluation)}; {@code valueCounts} false for a negated line, whose N is always its NUMBER: there
     * "N = 5 instead of the line's number" was said of a line that did not match, beside a verdict of another N.
     */
    String explain(Evaluation client, boolean valueCounts) {
        ClientFacts facts = client.facts();
        String name = firstSet(facts);
        if (name == null) {
            return (names.length == 1 ? names[0] + " is not set" : "none of " + String.join(" ", names) + " is set");
        }
        String value = facts.variables().get(name);
        int n = valueCounts ? positiveInteger(value) : -1;
        return name + " is set to " + Quoting.quote(value)
                + (n > 0 ? ", a positive integer: N = " + n + " instead of the line's number" : "");
    }

    private String firstSet(ClientFacts facts) {
        for (String name : names) {
            if (facts.variables().containsKey(name)) {
                return name;
            }
        }
        return null;
    }

    /** The value as a positive integer (digits only), or -1. */
    static int positiveInteger(String value) {
        if (value == null || value.isEmpty()) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = Math.min(n * 10 + (c - '0'), Integer.MAX_VALUE);
        }
        return n > 0 ? (int) n : -1;
    }
}
