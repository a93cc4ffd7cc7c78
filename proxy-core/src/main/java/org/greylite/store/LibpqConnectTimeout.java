package org.greylite.store;

import java.util.Map;

/**
 * libpq's {@code connect_timeout} in a greydb URL, given to the JDBC driver as its {@code connectTimeout} and
 * {@code loginTimeout}: the driver knows no such property and ignores it, so a URL written for psql
 * ({@code ...?connect_timeout=10}) connected within the programs' own limits instead (3 s for greylitectl, the busy
 * timeout for the others), as if the administrator had said nothing.
 *
 * <p>Read as libpq reads it: whole seconds, surrounding blanks allowed; 0 or less waits without limit; 1 is taken as
 * 2, libpq's least; the limit holds for each server named, one after the other, so the whole attempt may last it
 * once per server (the driver's {@code loginTimeout} is for the whole attempt, its {@code connectTimeout} for the TCP
 * connect to each).
 */
final class LibpqConnectTimeout {

    static final String LIBPQ = "connect_timeout";
    static final String CONNECT = "connectTimeout";
    static final String LOGIN = "loginTimeout";

    /** libpq's least timeout: a shorter one is taken as this. */
    private static final int LEAST_SECONDS = 2;

    private LibpqConnectTimeout() {
    }

    /**
     * Replaces {@value #LIBPQ} in {@code params} by the driver's {@value #CONNECT} and, unless the URL gives it,
     * {@value #LOGIN}, for {@code servers} servers.
     *
     * @throws IllegalArgumentException for a value that is not a whole number, or when {@value #CONNECT} is given
     *                                  too
     */
    static void translate(Map<String, String> params, int servers, String url) {
        String value = params.remove(LIBPQ);
        if (value == null) {
            return;
        }
        if (params.containsKey(CONNECT)) {
            throw new IllegalArgumentException("greydb URL '" + url + "' gives both " + LIBPQ + " and " + CONNECT
                    + ": give one");
        }
        long seconds;
        try {
            seconds = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("greydb URL '" + url + "': " + LIBPQ + "=" + value
                    + " is not a whole number of seconds");
        }
        int each = seconds <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE / Math.max(1, servers), Math.max(seconds,
                LEAST_SECONDS));
        params.put(CONNECT, Integer.toString(each));
        params.putIfAbsent(LOGIN, Integer.toString(each * Math.max(1, servers)));
    }
}
