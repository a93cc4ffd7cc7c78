package org.greylite.greylist;

import java.net.InetAddress;
import java.util.Objects;

import org.greylite.suspicion.ClientFacts;

/**
 * One RCPT to decide on: the facts about the client, and the envelope. Made with
 * {@link SessionFacts#rcpt(String, String)}.
 *
 * @param session   what is known about the client
 * @param sender    the envelope sender without angle brackets ("" for the null sender)
 * @param recipient the envelope recipient without angle brackets
 */
public record RcptRequest(SessionFacts session, String sender, String recipient) {

    public RcptRequest {
        Objects.requireNonNull(session, "session");
        sender = sender == null ? "" : sender;
        recipient = recipient == null ? "" : recipient;
    }

    /**
     * A request from the facts the suspicion rules see, for a client with nothing more known (no DNS
     * whitelist listing, not authenticated); the skip reason, if any, comes from the variables.
     */
    public static RcptRequest of(InetAddress client, ClientFacts f) {
        return new SessionFacts(client, f.ptrName(), f.helo(), f.variables(), f.behaviours(), null, false)
                .rcpt(f.sender(), f.recipient());
    }

    public InetAddress client() {
        return session.address();
    }

    /** Why greylisting does not apply (authenticated, RELAYCLIENT...), or null. */
    public String skip() {
        return session.skipReason();
    }

    /** What the suspicion rules look at. */
    public ClientFacts facts() {
        return new ClientFacts(session.address().getHostAddress(), session.ptrName(), session.helo(), sender, recipient,
                session.variables(), session.behaviours());
    }
}
