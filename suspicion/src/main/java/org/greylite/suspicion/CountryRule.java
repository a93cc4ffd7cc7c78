package org.greylite.suspicion;

import java.util.List;
import java.util.Optional;

import org.greylite.suspicion.geoip.CountryLocator;

/**
 * {@code g}: space-separated two-letter country codes; holds when the GeoIP database places the client's
 * address in one of them.
 *
 * <p>Without a database that can place the address (none configured, or an IPv4-only database and an IPv6
 * client) the line cannot be evaluated: it does not match, and {@code !} does not make it match. An
 * address the database covers but does not know is in no country: the line does not match, so with
 * {@code !} it does.
 */
final class CountryRule implements Rule {

    private final String[] codes;

    CountryRule(List<String> codes) {
        this.codes = codes.toArray(String[]::new);
    }

    @Override
    public LineOutcome test(Evaluation client) {
        if (!client.countryCovered()) {
            return LineOutcome.NOT_EVALUABLE;
        }
        Optional<String> country = client.country();
        return country.isPresent() && listed(country.get()) ? LineOutcome.MATCHED : LineOutcome.NOT_MATCHED;
    }

    private boolean listed(String country) {
        for (String code : codes) {
            if (code.equals(country)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String explain(Evaluation client) {
        CountryLocator geo = client.geo();
        String address = "address " + Quoting.quote(client.facts().address());
        if (geo == CountryLocator.NONE) {
            return "no GeoIP database is configured, so g lines cannot be evaluated";
        }
        if (!geo.available()) {
            return geo.description() + ", so g lines cannot be evaluated";
        }
        if (!client.countryCovered()) {
            return geo.description() + " cannot place " + address;
        }
        Optional<String> country = client.country();
        String list = String.join(" ", codes);
        if (country.isEmpty()) {
            return address + " is in no known country (" + geo.description() + "), so not in " + list;
        }
        return address + " is in " + country.get() + (listed(country.get()) ? ", listed in " : ", not in ") + list;
    }
}
