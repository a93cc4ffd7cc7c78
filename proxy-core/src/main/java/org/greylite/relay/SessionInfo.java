package org.greylite.relay;

import java.net.InetAddress;
import java.util.Map;
import java.util.Objects;

/**
 * What is known about a client when its connection starts.
 *
 * @param client      its address
 * @param ptrName     its PTR name, or "" when it has none (or none was looked up)
 * @param variables   environment-style facts (tcprules variables, BLACKLISTED...)
 * @param greylisting false to relay RCPTs without any decision (the wrapper with GREYLIST unset)
 */
public record SessionInfo(InetAddress client, String ptrName, Map<String, String> variables, boolean greylisting) {

    public SessionInfo {
        Objects.requireNonNull(client, "client");
        ptrName = ptrName == null ? "" : ptrName;
        variables = variables == null ? Map.of() : Map.copyOf(variables);
    }

    /** Why greylisting is skipped for the whole session (SPEC §3 step 1), or null. */
    public String skipReason() {
        if (variables.containsKey("RELAYCLIENT")) {
            return "RELAYCLIENT";
        }
        if (variables.containsKey("WHITELISTED")) {
            return "WHITELISTED";
        }
        return null;
    }
}
