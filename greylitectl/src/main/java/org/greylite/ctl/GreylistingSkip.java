package org.greylite.ctl;

import java.util.Locale;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.SessionFacts;
import org.greylite.suspicion.ClientFacts;

/**
 * Why the engine would not greylist the client {@code suspicion explain} is told of at all: a variable that skips
 * greylisting ({@code RELAYCLIENT}, {@code WHITELISTED}, SPEC §3 step 1), or a recipient that is never greylisted
 * ({@code postmaster@}, {@code abuse@}). The engine accepts such a RCPT at once without reading the suspicion file, so
 * explain's N must say so: it said the file's N (5, say) where a real client was refused no time.
 */
final class GreylistingSkip {

    private GreylistingSkip() {
    }

    /** Why greylisting is skipped for these facts, in words, or null when the suspicion file decides. */
    static String reason(ClientFacts facts) {
        String variable = SessionFacts.skipReason(facts.variables());
        if (variable != null) {
            return variable + " is set";
        }
        String recipient = facts.recipient();
        int at = recipient.lastIndexOf('@');
        String local = (at < 0 ? recipient : recipient.substring(0, at)).toLowerCase(Locale.ROOT);
        if (!recipient.isEmpty() && GreylistSettings.DEFAULT_EXEMPT_RECIPIENTS.contains(local)) {
            return "the recipient " + local + "@ is never greylisted";
        }
        return null;
    }
}
