package org.greylite.greylist;

import java.net.InetAddress;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.greylite.suspicion.Behaviour;

/**
 * Everything known about a client when one of its RCPTs is decided, gathered before the decision by
 * the connection stage (the access rules' variables, the PTR and DNS whitelist lookups) and by the session
 * (HELO, authentication, behaviours). The engine reads facts; it never looks anything up. The reasons to
 * skip greylisting are derived here and nowhere else.
 *
 * @param address       the client's address
 * @param ptrName       its forward-confirmed PTR name, or "" (none, or not looked up)
 * @param helo          the HELO/EHLO argument, or ""
 * @param variables     environment-style facts (tcprules variables, RELAYCLIENT, BLACKLISTED...)
 * @param behaviours    behaviours the client showed in this session (greetdelay, commanderrors)
 * @param dnswlZone     the DNS whitelist that lists the client (its zone), or null
 * @param authenticated the client authenticated at the upstream
 * @param namesKnown    whether the program is told the PTR name and HELO at all (greydaemon is not: its rules
 *                      cannot evaluate {@code r} lines and {@code e h:} patterns, see {@link ClientFacts})
 */
public record SessionFacts(InetAddress address, String ptrName, String helo, Map<String, String> variables,
                           Set<Behaviour> behaviours, String dnswlZone, boolean authenticated,
                           boolean namesKnown) {

    public SessionFacts {
        Objects.requireNonNull(address, "address");
        ptrName = ptrName == null ? "" : ptrName;
        helo = helo == null ? "" : helo;
        variables = variables == null ? Map.of() : Map.copyOf(variables);
        behaviours = behaviours == null || behaviours.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(behaviours));
    }

    /** A client of which only the address is known yet. */
    public static SessionFacts of(InetAddress address) {
        return new SessionFacts(address, "", "", Map.of(), Set.of(), null, false, true);
    }

    public SessionFacts withPtrName(String name) {
        return new SessionFacts(address, name, helo, variables, behaviours, dnswlZone, authenticated, namesKnown);
    }

    public SessionFacts withHelo(String h) {
        return new SessionFacts(address, ptrName, h, variables, behaviours, dnswlZone, authenticated, namesKnown);
    }

    public SessionFacts withVariables(Map<String, String> v) {
        return new SessionFacts(address, ptrName, helo, v, behaviours, dnswlZone, authenticated, namesKnown);
    }

    public SessionFacts withBehaviours(Set<Behaviour> b) {
        return new SessionFacts(address, ptrName, helo, variables, b, dnswlZone, authenticated, namesKnown);
    }

    /** @param zone the DNS whitelist zone that lists the client, or null */
    public SessionFacts withDnswlZone(String zone) {
        return new SessionFacts(address, ptrName, helo, variables, behaviours, zone, authenticated, namesKnown);
    }

    public SessionFacts withAuthenticated(boolean a) {
        return new SessionFacts(address, ptrName, helo, variables, behaviours, dnswlZone, a, namesKnown);
    }

    /**
     * Why greylisting does not apply to this client (SPEC §3 step 1), or null: it authenticated,
     * {@code RELAYCLIENT} or {@code WHITELISTED} is set, or a DNS whitelist lists it.
     */
    public String skipReason() {
        if (authenticated) {
            return "authenticated";
        }
        String byVariables = skipReason(variables);
        if (byVariables != null) {
            return byVariables;
        }
        return dnswlZone != null ? "dnswl:" + dnswlZone : null;
    }

    /** The reason the variables alone give ({@code RELAYCLIENT}, {@code WHITELISTED}), or null. */
    public static String skipReason(Map<String, String> variables) {
        if (variables.containsKey("RELAYCLIENT")) {
            return "RELAYCLIENT";
        }
        if (variables.containsKey("WHITELISTED")) {
            return "WHITELISTED";
        }
        return null;
    }

    /** The request to decide on one RCPT of this client. */
    public RcptRequest rcpt(String sender, String recipient) {
        return new RcptRequest(this, sender, recipient);
    }
}
