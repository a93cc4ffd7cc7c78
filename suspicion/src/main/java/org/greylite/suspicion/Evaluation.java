package org.greylite.suspicion;

import java.util.Optional;

import org.greylite.suspicion.geoip.CountryLocator;

/**
 * One client being tried against the lines of a file: the facts, and what is worth computing once for all
 * lines rather than once per line (the country: a file may have several {@code g} lines).
 */
final class Evaluation {

    private final ClientFacts facts;
    private final CountryLocator geo;
    private boolean located;
    private boolean covered;
    private Optional<String> country;

    Evaluation(ClientFacts facts, CountryLocator geo) {
        this.facts = facts;
        this.geo = geo;
    }

    ClientFacts facts() {
        return facts;
    }

    CountryLocator geo() {
        return geo;
    }

    /** Whether the database can place the client's address at all. */
    boolean countryCovered() {
        locate();
        return covered;
    }

    /** The client's country; empty when unknown or not covered. */
    Optional<String> country() {
        locate();
        return country;
    }

    private void locate() {
        if (!located) {
            covered = geo.covers(facts.address());
            country = covered ? geo.countryOf(facts.address()) : Optional.empty();
            located = true;
        }
    }
}
