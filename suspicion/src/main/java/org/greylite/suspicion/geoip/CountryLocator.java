package org.greylite.suspicion.geoip;

import java.util.Optional;

/**
 * Places a client's address in a country, for {@code g} lines. Implementations are thread-safe, do no
 * network I/O and never throw from a lookup: a failed lookup is an unknown country.
 */
public interface CountryLocator {

    /**
     * The ISO 3166 two-letter code (upper case) of the country the database places {@code address} in, or
     * empty when the database does not know the address. Legacy GeoIP databases also answer the
     * pseudo-countries {@code A1} (anonymous proxy), {@code A2} (satellite provider), {@code AP}, {@code EU}
     * and {@code O1}.
     *
     * @param address an IPv4 or IPv6 address in textual form; never resolved as a host name
     */
    Optional<String> countryOf(String address);

    /**
     * Whether the database can place {@code address} at all. An IPv4-only database cannot place an IPv6
     * client: a {@code g} line is then "cannot be evaluated" (never matches, even with {@code !}) rather than
     * "country unknown" (which {@code !} would turn into a match). Text that is not an IP address is not
     * covered either.
     */
    default boolean covers(String address) {
        return true;
    }

    /**
     * Reads the database file again (SIGHUP), for a locator over a file that may be replaced; keeps the database
     * in use when the file cannot be read.
     *
     * @return false when the file could not be read again (a warning has been logged)
     */
    default boolean reopen() {
        return true;
    }

    /** Names the database for explanations and logs. */
    String description();

    /** False when there is no database to ask ({@link #NONE}, {@link #unusable}): {@code g} lines cannot be evaluated. */
    default boolean available() {
        return true;
    }

    /**
     * No database, for the reason given ({@code why}: a file that does not exist, one that is no GeoIP database),
     * which explanations give in place of "none configured": the administrator did configure one.
     */
    static CountryLocator unusable(String why) {
        return new CountryLocator() {
            @Override
            public Optional<String> countryOf(String address) {
                return Optional.empty();
            }

            @Override
            public boolean covers(String address) {
                return false;
            }

            @Override
            public boolean available() {
                return false;
            }

            @Override
            public String description() {
                return why;
            }

            @Override
            public String toString() {
                return why;
            }
        };
    }

    /** No database configured: {@code g} lines cannot be evaluated for any client. */
    CountryLocator NONE = unusable("no GeoIP database");
}
