package org.greylite.store;

import java.util.Locale;
import java.util.Map;

/**
 * libpq's {@code target_session_attrs} in a greydb URL, given to the JDBC driver as its {@code targetServerType}: an
 * administrator who writes the URL psql takes ({@code ...?target_session_attrs=read-write}) to follow a failover
 * would otherwise have it ignored, the driver knowing no such property, and the programs would stay on the first
 * server named, a standby after the failover.
 */
final class TargetSessionAttrs {

    static final String LIBPQ = "target_session_attrs";
    static final String DRIVER = "targetServerType";

    private TargetSessionAttrs() {
    }

    /**
     * Replaces {@value #LIBPQ} in {@code params} by the driver's {@value #DRIVER} of the same meaning.
     *
     * @throws IllegalArgumentException for a value libpq does not take, or when both are given
     */
    static void translate(Map<String, String> params, String url) {
        String value = params.remove(LIBPQ);
        if (value == null) {
            return;
        }
        if (params.containsKey(DRIVER)) {
            throw new IllegalArgumentException("greydb URL '" + url + "' gives both " + LIBPQ + " and " + DRIVER
                    + ": give one");
        }
        params.put(DRIVER, switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "any" -> "any";
            // The driver's "primary" is a server whose transactions may write: libpq's read-write as well.
            case "read-write", "primary" -> "primary";
            case "read-only", "standby" -> "secondary";
            case "prefer-standby" -> "preferSecondary";
            default -> throw new IllegalArgumentException("greydb URL '" + url + "': " + LIBPQ + "=" + value
                    + " is not one of any, read-write, primary, read-only, standby, prefer-standby");
        });
    }
}
