package org.greylite.suspicion;

import java.util.List;
import java.util.Optional;

import org.greylite.suspicion.geoip.CountryLocator;

/**
 * {@code g}: space-separated two-letter country codes; holds when the GeoIP database places the client's
 * address in one of them.
 *
 * <p>When the database gives the address no country, the line cannot be evaluated: it does not match, and
 * {@code !} does not make it match (SPEC §5). That is so without a database (none configured, or an
 * IPv4-only database and an IPv6 client), and for an address the database holds no country for: private
 * ranges such as 10.0.0.0/8, addresses allocated after the database was made. Reading such an address as
 * "in no country", so that {@code g ! IT} matched it, made the administrator's own relays on a private
 * network suspicious (never auto-whitelisted) with greylite 2.3's sample line, where greylite itself
 * skipped the line for them.
 */
final class CountryRule implements Rule {

    private final String[] codes;

    CountryRule(List<String> codes) {
        this.codes = codes.toArray(String[]::new);
    }

    @Override
    public LineOutcome test(Evaluation client) {
        Optional<String> country = client.country();
        if (country.isEmpty()) {
            return LineOutcome.NOT_EVALUABLE;
        }
        return listed(country.get()) ? LineOutcome.MATCHED : LineOutcome.NOT_MATCHED;
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
            return address + " is in no country " + geo.description() + " knows, so g lines cannot be evaluated"
                    + " for it";
        }
        return address + " is in " + country.get() + (listed(country.get()) ? ", listed in " : ", not in ") + list;
    }
}
