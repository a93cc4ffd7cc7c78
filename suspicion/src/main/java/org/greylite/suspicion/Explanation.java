package org.greylite.suspicion;

import java.util.List;

/**
 * How a suspicion file reached its verdict for one client: every line tried, in order, up to the one that
 * decided (or all of them when none matched), and the verdict.
 *
 * @param lines  the lines tried
 * @param result the verdict, the same {@link SuspicionFile#evaluate} returns
 */
public record Explanation(List<LineExplanation> lines, Suspicion result) {

    public Explanation {
        lines = List.copyOf(lines);
    }

    /** The explanation as text, one line per suspicion line and a final verdict line. */
    public String format() {
        StringBuilder out = new StringBuilder();
        for (LineExplanation line : lines) {
            out.append(line).append('\n');
        }
        if (result.suspicious()) {
            out.append("verdict: N = ").append(result.refusals())
                    .append(", suspicious (never auto-whitelisted), decided by ")
                    .append(result.rule().file()).append(':').append(result.rule().line()).append('\n');
        } else {
            out.append("verdict: no line matched: N = ").append(result.refusals())
                    .append(", not suspicious (may be auto-whitelisted)\n");
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return format();
    }
}
