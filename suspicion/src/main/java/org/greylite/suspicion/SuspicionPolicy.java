package org.greylite.suspicion;

/** Decides N for one RCPT from the facts about the client. Implementations are thread-safe and do no I/O. */
@FunctionalInterface
public interface SuspicionPolicy {

    Suspicion evaluate(ClientFacts facts);

    /** The policy without a suspicion file: every client gets the default. */
    SuspicionPolicy NONE = facts -> Suspicion.NONE;
}
