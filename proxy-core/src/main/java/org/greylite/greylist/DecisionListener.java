package org.greylite.greylist;

/** Told of every decision, after it was recorded: the decision log, metrics. Must not block. */
@FunctionalInterface
public interface DecisionListener {

    void decided(RcptRequest request, Verdict verdict);

    DecisionListener NONE = (r, v) -> { };

    default DecisionListener andThen(DecisionListener next) {
        return (r, v) -> {
            decided(r, v);
            next.decided(r, v);
        };
    }
}
