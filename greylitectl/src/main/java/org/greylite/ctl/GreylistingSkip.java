package org.greylite.ctl;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.RecipientLocalPart;
import org.greylite.greylist.SessionFacts;
import org.greylite.suspicion.ClientFacts;

/**
 * Why the engine would not greylist the client {@code suspicion explain} is told of at all: a variable that skips
 * greylisting ({@code RELAYCLIENT}, {@code WHITELISTED}, SPEC §3 step 1), a recipient that is never greylisted
 * ({@code postmaster@}, {@code abuse@}), or a known sender (a pool such as Gmail's, by its confirmed PTR name). The engine accepts such a RCPT at once without reading the suspicion file, so
 * explain's N must say so: it said the file's N (5, say) where a real client was refused no time.
 */
final class GreylistingSkip {

    private GreylistingSkip() {
    }

    /**
     * Why greylisting is skipped for these facts, in words, or null when the suspicion file decides.
     *
     * @param known the known senders the programs load (the shipped list unless GREYLITE_NO_SHIPPED_WHITELIST, and
     *              GREYLITE_WHITELIST_FILES): a client they list by address, or by the confirmed PTR name, skips
     *              greylisting too
     */
    static String reason(ClientFacts facts, KnownSenders known) {
        String variable = SessionFacts.skipReason(facts.variables());
        if (variable != null) {
            return variable + " is set";
        }
        String recipient = facts.recipient();
        if (GreylistSettings.defaults().exemptRecipient(recipient)) {
            return "the recipient " + RecipientLocalPart.of(recipient) + "@ is never greylisted";
        }
        Optional<KnownSenders.Entry> entry = known.match(address(facts.address()), facts.ptrName());
        if (entry.isPresent()) {
            KnownSenders.Entry e = entry.get();
            return "the client is a known sender (" + e.kind() + " " + e.value() + ", " + e.source() + ")";
        }
        return null;
    }

    /** The client's address, already checked to be an IP literal: parsed, never looked up. */
    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal.indexOf(':') >= 0 ? "[" + literal + "]" : literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + literal, e);
        }
    }
}
