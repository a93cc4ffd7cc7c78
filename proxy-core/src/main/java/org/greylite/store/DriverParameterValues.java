package org.greylite.store;

import java.util.List;
import java.util.Map;

/**
 * The values the JDBC driver takes for the connection parameters libpq's variables and a URL set most often, checked
 * when the location is read. The driver refuses another value at every connection attempt, which a program that
 * outlives an outage takes for a server not answering yet: {@code PGSSLMODE=requre} made greylited start, log
 * "tried again in the background until it answers", and decide every RCPT as a greydb failure for as long as it ran,
 * where a mistake in its configuration stops it at the start, naming where it came from.
 */
final class DriverParameterValues {

    /** The driver's name of a parameter, and the values it takes, in lower case only, as libpq and the driver read them. */
    private static final Map<String, List<String>> VALUES = Map.of(
            "sslmode", List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
            "gssEncMode", List.of("disable", "allow", "prefer", "require"),
            "channelBinding", List.of("disable", "prefer", "require"),
            "sslNegotiation", List.of("postgres", "direct"));

    private DriverParameterValues() {
    }

    /**
     * @throws IllegalArgumentException naming the parameter, its value and those it may take
     */
    static void check(Map<String, String> params, String url) {
        for (Map.Entry<String, List<String>> p : VALUES.entrySet()) {
            String value = params.get(p.getKey());
            if (value != null && !p.getValue().contains(value)) {
                throw new IllegalArgumentException("greydb URL '" + url + "': " + p.getKey() + "=" + value
                        + " is not one of " + String.join(", ", p.getValue()));
            }
        }
    }
}
