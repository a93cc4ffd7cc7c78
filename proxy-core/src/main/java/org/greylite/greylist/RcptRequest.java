package org.greylite.greylist;

import java.net.InetAddress;
import java.util.Objects;

import org.greylite.net.AddressText;
import org.greylite.suspicion.ClientFacts;

/**
 * One RCPT to decide on: the facts about the client, and the envelope. Made with
 * {@link SessionFacts#rcpt(String, String)}.
 *
 * @param session   what is known about the client
 * @param sender    the envelope sender without angle brackets ("" for the null sender), kept as {@link MailboxPath}
 *                  reads it
 * @param recipient the envelope recipient without angle brackets, kept so too
 */
public record RcptRequest(SessionFacts session, String sender, String recipient) {

    public RcptRequest {
        Objects.requireNonNull(session, "session");
        // As the upstream delivers them (MailboxPath): "user"@ and @relay:user@ are user@ to the keys and the rules.
        sender = sender == null ? "" : MailboxPath.canonical(sender);
        recipient = recipient == null ? "" : MailboxPath.canonical(recipient);
    }

    /**
     * A request described by the facts the suspicion rules see and a reason to skip greylisting, for a caller
     * that has no {@link SessionFacts} (a tool, a test, a service that is told the client's facts whole).
     *
     * @param skip null; "authenticated"; "dnswl:ZONE"; or a variable that skips greylisting ("RELAYCLIENT",
     *             "WHITELISTED")
     * @throws IllegalArgumentException when {@code skip} is none of these
     */
    public RcptRequest(InetAddress client, ClientFacts facts, String skip) {
        this(session(client, facts, skip), facts.sender(), facts.recipient());
    }

    private static SessionFacts session(InetAddress client, ClientFacts f, String skip) {
        SessionFacts s = new SessionFacts(client, f.ptrName(), f.helo(), f.variables(), f.behaviours(), null, false,
                f.namesKnown());
        if (skip == null) {
            return s;
        }
        if (skip.equals("authenticated")) {
            s = s.withAuthenticated(true);
        } else if (skip.startsWith("dnswl:")) {
            s = s.withDnswlZone(skip.substring("dnswl:".length()));
        } else if (!f.variables().containsKey(skip)) {
            // Added to the client's variables, not in their place: the others, and a value that says why the
            // variable is set (greydaemon's WHITELISTED=verp-bounce), stay for the decision log.
            java.util.Map<String, String> withSkip = new java.util.HashMap<>(f.variables());
            withSkip.put(skip, "");
            s = s.withVariables(withSkip);
        }
        if (!skip.equals(s.skipReason())) {
            throw new IllegalArgumentException("not a reason to skip greylisting: " + skip);
        }
        return s;
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
        return new ClientFacts(AddressText.of(session.address()), session.ptrName(), session.helo(), sender, recipient,
                session.variables(), session.behaviours(), session.namesKnown());
    }
}
