package org.greylite.policy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SMTP stages where Postfix may ask the service but nothing is decided, for the warning said once per stage
 * and run: {@code check_policy_service} in {@code smtpd_client_restrictions}, {@code smtpd_helo_restrictions} or
 * {@code smtpd_sender_restrictions} with {@code smtpd_delay_reject=no} is asked at CONNECT, HELO/EHLO or MAIL, with
 * no recipient yet. postgrey greylisted at MAIL (with an empty recipient) and warned at the others; answered
 * {@code DUNNO} without a word, a site that moved from postgrey with such a line had its mail pass ungreylisted
 * and nothing said why. Once, not per request: with the line in {@code smtpd_recipient_restrictions} too, the
 * requests at the other stage are harmless, and a warning each would drown the log.
 */
final class StagesWithoutDecision {

    /**
     * Postfix's stages before RCPT; others (a client that is not Postfix) are not remembered, so the set stays this
     * small. Not VRFY: Postfix runs smtpd_recipient_restrictions for a VRFY command too, so a service in its right
     * place is asked there; nor ETRN, which has restrictions of its own and no message.
     */
    private static final Set<String> POSTFIX_STAGES = Set.of("CONNECT", "EHLO", "HELO", "MAIL");

    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /** Whether a request at {@code stage} (upper case) is the first of its stage to be warned about. */
    boolean firstAskedAt(String stage) {
        return POSTFIX_STAGES.contains(stage) && warned.add(stage);
    }
}
