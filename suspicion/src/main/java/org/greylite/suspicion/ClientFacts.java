package org.greylite.suspicion;

import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the suspicion rules may look at for one RCPT: who the client is, what it said and how it behaved.
 * The suspicion module does no I/O; whoever builds the facts has already looked up the PTR name.
 *
 * @param address   the client's IP address, textual (IPv4 dotted quad or IPv6)
 * @param ptrName   the client's confirmed PTR name, or the empty string when it has none
 * @param helo      the HELO/EHLO argument, or the empty string
 * @param sender    the envelope sender without angle brackets (empty for the null sender)
 * @param recipient the envelope recipient without angle brackets
 * @param variables environment-style variables (tcprules, dnsblenv's BLACKLISTED, ...) that are set
 * @param behaviours behaviours the client showed
 * @param namesKnown whether the PTR name and the HELO are known at all: greydaemon's requests carry neither,
 *                   and there {@code r} lines and {@code e h:} patterns cannot be evaluated (SPEC §5: such a
 *                   line does not match) rather than see the empty name of a client without one
 * @param senderKey    the sender as the greydb keys it (lower case, per-message tags dropped); {@code sender}
 *                     when not given. {@code e s:} patterns match it as well as the sender as written: every
 *                     spelling that shares a key is then refused as often as any of them, where a tagged
 *                     {@code evil+t@} once earned the triplet of {@code evil@} round a line {@code s:^evil@}
 * @param recipientKey the recipient as the greydb keys it (lower case); {@code recipient} when not given
 */
public record ClientFacts(String address, String ptrName, String helo, String sender, String recipient,
                          Map<String, String> variables, Set<Behaviour> behaviours, boolean namesKnown,
                          String senderKey, String recipientKey) {

    /** Facts whose addresses are keyed as written. */
    public ClientFacts(String address, String ptrName, String helo, String sender, String recipient,
                       Map<String, String> variables, Set<Behaviour> behaviours, boolean namesKnown) {
        this(address, ptrName, helo, sender, recipient, variables, behaviours, namesKnown, null, null);
    }

    /** Facts with the PTR name and HELO known (the empty string when the client has none). */
    public ClientFacts(String address, String ptrName, String helo, String sender, String recipient,
                       Map<String, String> variables, Set<Behaviour> behaviours) {
        this(address, ptrName, helo, sender, recipient, variables, behaviours, true);
    }

    /** Facts of a program that is told neither the client's PTR name nor its HELO (greydaemon). */
    public static ClientFacts withoutNames(String address, String sender, String recipient,
                                           Map<String, String> variables, Set<Behaviour> behaviours) {
        return new ClientFacts(address, "", "", sender, recipient, variables, behaviours, false);
    }

    public ClientFacts {
        Objects.requireNonNull(address, "address");
        ptrName = ptrName == null ? "" : ptrName;
        helo = helo == null ? "" : helo;
        sender = sender == null ? "" : sender;
        recipient = recipient == null ? "" : recipient;
        senderKey = senderKey == null ? sender : senderKey;
        recipientKey = recipientKey == null ? recipient : recipientKey;
        variables = variables == null ? Map.of() : Map.copyOf(variables);
        behaviours = behaviours == null || behaviours.isEmpty()
                ? Set.of() : Set.copyOf(EnumSet.copyOf(behaviours));
    }

    /** The same facts, with {@code b} among the behaviours. */
    public ClientFacts withBehaviour(Behaviour b) {
        if (behaviours.contains(b)) {
            return this;
        }
        EnumSet<Behaviour> more = EnumSet.of(b);
        more.addAll(behaviours);
        return new ClientFacts(address, ptrName, helo, sender, recipient, variables, more, namesKnown, senderKey,
                recipientKey);
    }

    /** The same facts, with the sender and recipient as the greydb keys them. */
    public ClientFacts withKeys(String keyedSender, String keyedRecipient) {
        return new ClientFacts(address, ptrName, helo, sender, recipient, variables, behaviours, namesKnown,
                keyedSender, keyedRecipient);
    }
}
