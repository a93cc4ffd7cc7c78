package org.greylite.suspicion;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** {@code b}: space-separated behaviour keywords; holds when the client showed any of them. */
final class BehaviourRule implements Rule {

    private final Behaviour[] behaviours;

    BehaviourRule(Set<Behaviour> behaviours) {
        this.behaviours = EnumSet.copyOf(behaviours).toArray(Behaviour[]::new);
    }

    @Override
    public LineOutcome test(Evaluation client) {
        Set<Behaviour> shown = client.facts().behaviours();
        if (shown.isEmpty()) {
            return LineOutcome.NOT_MATCHED;
        }
        for (Behaviour b : behaviours) {
            if (shown.contains(b)) {
                return LineOutcome.MATCHED;
            }
        }
        return LineOutcome.NOT_MATCHED;
    }

    @Override
    public String explain(Evaluation client) {
        ClientFacts facts = client.facts();
        for (Behaviour b : behaviours) {
            if (facts.behaviours().contains(b)) {
                return "the client showed " + b.keyword();
            }
        }
        String shown = facts.behaviours().isEmpty() ? "none"
                : EnumSet.copyOf(facts.behaviours()).stream().map(Behaviour::keyword).collect(Collectors.joining(" "));
        return "the client showed none of these (it showed: " + shown + ")";
    }
}
