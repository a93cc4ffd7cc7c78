package org.greylite.relay;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.greylite.greylist.Verdict;

/**
 * The verdicts greylisting gave the recipients of one transaction, by triplet: the client and the sender are the
 * transaction's, and the engine keys the recipient in lower case ({@code Greylister}), so {@code Bob@example.org}
 * after {@code bob@example.org} is the same triplet.
 *
 * <p>A recipient the client names twice in one transaction is one attempt of its triplet, not a retry. Decided
 * again, the second RCPT would be a retry sooner than greylite's schedule: the client would be marked with the
 * {@code retryinterval} behaviour for the whole retry window, and under a line such as the shipped examples'
 * {@code 100 b greetdelay retryinterval} every later message of it would be refused a hundred times. So the
 * repeat gets the first verdict, without asking the engine again. A new transaction (RSET, a new MAIL) is a new
 * attempt, as it is for greylite.
 */
final class DecidedRecipients {

    private final Map<String, Verdict> verdicts = new HashMap<>();

    /** The key of {@code recipient}'s triplet within one transaction. */
    static String key(String recipient) {
        return recipient.toLowerCase(Locale.ROOT);
    }

    /** The verdict given earlier in the transaction to {@code recipient}'s triplet, or null. */
    Verdict earlier(String recipient) {
        return verdicts.get(key(recipient));
    }

    /**
     * Remembers {@code v} when the triplet was looked at ({@link Verdict.Reason#carriesN}), for asking again would
     * be a retry of it. A verdict given without it (a store error, the administrators' lists, an exempt recipient)
     * recorded no attempt: the repeat is asked again, and sees a greydb that came back or a list that changed.
     */
    void decided(String recipient, Verdict v) {
        if (v.reason().carriesN()) {
            verdicts.putIfAbsent(key(recipient), v);
        }
    }

    void clear() {
        verdicts.clear();
    }
}
