package org.greylite.connect;

/**
 * The outcome of one PTR lookup: the confirmed name ("" for none), how long the DNS lets it be kept
 * ({@code ttlSeconds}; below 1: not at all), why, for the debug log, and whether the DNS failed to answer (a
 * timeout, SERVFAIL), as opposed to answering that there is no confirmed name.
 */
record PtrAnswer(String name, long ttlSeconds, String why, boolean failed) {

    PtrAnswer(String name, long ttlSeconds, String why) {
        this(name, ttlSeconds, why, false);
    }

    static PtrAnswer failed(String why) {
        return new PtrAnswer("", 0, why, true);
    }
}
