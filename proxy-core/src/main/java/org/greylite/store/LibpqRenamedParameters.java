package org.greylite.store;

import java.util.Map;

/**
 * libpq's parameters that the JDBC driver takes under another name, with the same values: given to the driver in its
 * words. It knows none of libpq's names and ignores them, so a URL written for psql lost them unsaid: every MX host
 * showed as {@code greylite} in {@code pg_stat_activity} whatever {@code application_name} said, and
 * {@code channel_binding=require} or {@code gssencmode=disable} did not hold.
 */
final class LibpqRenamedParameters {

    /** libpq's name, the driver's. */
    private static final Map<String, String> DRIVER_NAMES = Map.of(
            "application_name", "ApplicationName",
            "channel_binding", "channelBinding",
            "gssencmode", "gssEncMode",
            "sslnegotiation", "sslNegotiation");

    private LibpqRenamedParameters() {
    }

    /**
     * Renames libpq's parameters in {@code params} to the driver's.
     *
     * @throws IllegalArgumentException when a parameter is given under both names
     */
    static void translate(Map<String, String> params, String url) {
        for (Map.Entry<String, String> names : DRIVER_NAMES.entrySet()) {
            String value = params.remove(names.getKey());
            if (value == null) {
                continue;
            }
            if (params.containsKey(names.getValue())) {
                throw new IllegalArgumentException("greydb URL '" + url + "' gives both " + names.getKey() + " and "
                        + names.getValue() + ": give one");
            }
            params.put(names.getValue(), value);
        }
    }
}
