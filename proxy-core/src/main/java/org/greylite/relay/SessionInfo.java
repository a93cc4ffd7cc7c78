package org.greylite.relay;

import java.net.InetAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.greylite.greylist.SessionFacts;

/**
 * What is known about a client when its connection starts, and what the connection stage is still finding
 * out about it (its PTR name, a DNS whitelist listing): the facts every decision of the session starts from.
 *
 * @param client      its address
 * @param ptrName     its PTR name, or "" when it has none (or none was looked up)
 * @param variables   environment-style facts (tcprules variables, BLACKLISTED...)
 * @param greylisting false to relay RCPTs without any decision (the wrapper without a usable TCPREMOTEIP)
 * @param facts       the connection stage's facts, complete when its lookups are done (never fails)
 */
public record SessionInfo(InetAddress client, String ptrName, Map<String, String> variables, boolean greylisting,
                          CompletableFuture<SessionFacts> facts) {

    public SessionInfo {
        Objects.requireNonNull(client, "client");
        ptrName = ptrName == null ? "" : ptrName;
        variables = variables == null ? Map.of() : Map.copyOf(variables);
        Objects.requireNonNull(facts, "facts");
    }

    /** A client about whom nothing remains to be looked up. */
    public SessionInfo(InetAddress client, String ptrName, Map<String, String> variables, boolean greylisting) {
        this(client, ptrName, variables, greylisting, CompletableFuture.completedFuture(
                SessionFacts.of(client).withPtrName(ptrName).withVariables(variables)));
    }

    /** The facts known at once, whatever the lookups will add. */
    public SessionFacts knownNow() {
        return SessionFacts.of(client).withPtrName(ptrName).withVariables(variables);
    }

    /** Why greylisting is skipped for the whole session (SPEC §3 step 1), by its variables, or null. */
    public String skipReason() {
        return SessionFacts.skipReason(variables);
    }

    /** Receives the facts, and whether it waited for the connection stage's lookups to end. */
    @FunctionalInterface
    public interface FactsReceiver {
        void accept(SessionFacts facts, boolean waited);
    }

    /**
     * Hands the connection stage's facts to {@code then}: at once when they are complete, else when the
     * lookups end, on the thread that ends them (nothing blocks; the session waits for its verdict as for any
     * other). A RCPT that greylisting skips anyway ({@code skipping}) never waits: it gets what is known now.
     */
    public void whenFactsKnown(boolean skipping, FactsReceiver then) {
        if (facts.isDone()) {
            then.accept(facts.isCompletedExceptionally() ? knownNow() : facts.join(), false);
        } else if (skipping || skipReason() != null) {
            then.accept(knownNow(), false);
        } else {
            facts.whenComplete((f, failure) -> then.accept(f != null ? f : knownNow(), true));
        }
    }
}
