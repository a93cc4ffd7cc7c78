package org.greylite.policy;

import java.util.Map;

/**
 * One request of Postfix's policy delegation protocol: the {@code name=value} attributes Postfix sent
 * (SMTPD_POLICY_README), in any order; a name given twice keeps its last value, as Postfix's own
 * attribute reader does.
 */
record PolicyRequest(Map<String, String> attributes) {

    PolicyRequest {
        attributes = Map.copyOf(attributes);
    }

    /** The attribute's value, or the empty string when Postfix did not send it. */
    String get(String name) {
        return attributes.getOrDefault(name, "");
    }

    boolean has(String name) {
        return attributes.containsKey(name);
    }
}
