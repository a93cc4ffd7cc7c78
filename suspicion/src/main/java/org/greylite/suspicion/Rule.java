package org.greylite.suspicion;

/**
 * The test of one suspicion line, one implementation per kind. A rule answers before any {@code !}: the
 * line applies the negation.
 */
sealed interface Rule permits PtrNameRule, VariableRule, EnvelopeRule, CountryRule, BehaviourRule {

    /** Whether the rule holds for the client. Called for every RCPT: no allocation beyond the matcher's. */
    LineOutcome test(Evaluation client);

    /** Why {@link #test} answers what it does, in words, for {@code greylitectl suspicion explain}. */
    String explain(Evaluation client);
}
