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
}
