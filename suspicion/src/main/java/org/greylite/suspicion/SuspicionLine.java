package org.greylite.suspicion;

/** One loaded line: {@code NUMBER KIND [!] RULE}, where it stands, and the verdict it gives when it matches. */
final class SuspicionLine {

    private final RuleMatch source;
    private final int number;
    private final boolean negated;
    private final Rule rule;
    private final Suspicion verdict;

    SuspicionLine(RuleMatch source, int number, boolean negated, Rule rule) {
        this.source = source;
        this.number = number;
        this.negated = negated;
        this.rule = rule;
        this.verdict = new Suspicion(number, source);
    }

    RuleMatch source() {
        return source;
    }

    Rule rule() {
        return rule;
    }

    LineOutcome outcome(Evaluation client) {
        LineOutcome raw = rule.test(client);
        return negated ? raw.negated() : raw;
    }

    /** The verdict of this line once it matched: its NUMBER, or the integer a {@code v} line's variable holds. */
    Suspicion verdict(ClientFacts facts) {
        if (!negated && rule instanceof VariableRule variables) {
            int n = variables.refusalsFrom(facts);
            if (n > 0 && n != number) {
                return new Suspicion(n, source);
            }
        }
        return verdict;
    }

    LineExplanation explain(Evaluation client, LineOutcome outcome) {
        String reason = negated && rule instanceof VariableRule variables
                ? variables.explain(client, false) : rule.explain(client);
        if (negated) {
            reason += outcome == LineOutcome.NOT_EVALUABLE ? "; ! does not change that" : "; ! inverts that";
        }
        return new LineExplanation(source, outcome, reason);
    }
}
