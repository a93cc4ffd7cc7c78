package org.greylite.greylist;

import java.net.InetAddress;
import java.util.Objects;

import org.greylite.suspicion.ClientFacts;

/**
 * One RCPT to decide on.
 *
 * @param client  the client's address
 * @param facts   what the suspicion rules may look at (address, PTR, HELO, sender, recipient, variables, behaviours)
 * @param skip    why greylisting does not apply to this session (authenticated, RELAYCLIENT...), or null
 */
public record RcptRequest(InetAddress client, ClientFacts facts, String skip) {

    public RcptRequest {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(facts, "facts");
    }

    public String sender() {
        return facts.sender();
    }

    public String recipient() {
        return facts.recipient();
    }

    /**
     * The same request with the client's PTR name filled in: a server that looks the name up while the
     * session goes on hands it to the decision this way.
     *
     * @param ptrName the confirmed PTR name, or the empty string when the client has none
     */
    public RcptRequest withPtrName(String ptrName) {
        ClientFacts f = facts;
        return new RcptRequest(client, new ClientFacts(f.address(), ptrName, f.helo(), f.sender(), f.recipient(),
                f.variables(), f.behaviours()), skip);
    }

    /** The same request, skipping greylisting for {@code reason} (a DNS whitelist, say). */
    public RcptRequest withSkip(String reason) {
        return new RcptRequest(client, facts, reason);
    }
}
