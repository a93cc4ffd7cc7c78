package org.greylite.ctl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.greylite.suspicion.SuspicionFile;
import org.greylite.suspicion.geoip.CountryLocator;
import org.greylite.suspicion.geoip.GeoIpDatabases;

/** The GeoIP database for {@code g} lines, found as everywhere else: {@code GEOIPDB_FILE}, else greylite's default. */
final class GeoIp {

    private GeoIp() {
    }

    static Path path(Map<String, String> env) {
        String v = env.get("GEOIPDB_FILE");
        return v == null || v.isBlank() ? GeoIpDatabases.DEFAULT_PATH : Path.of(v);
    }

    /**
     * The database, or one {@linkplain CountryLocator#unusable unusable} for the reason {@code why} says, when the file
     * does not exist or cannot be read: the reason each {@code g} line's explanation then gives.
     */
    static CountryLocator open(Map<String, String> env, StringBuilder why) {
        Path path = path(env);
        if (!Files.exists(path)) {
            why.append("no GeoIP database: ").append(path).append(" does not exist (GEOIPDB_FILE)");
            return CountryLocator.unusable(why.toString());
        }
        try {
            return GeoIpDatabases.open(path);
        } catch (IOException e) {
            why.append("the GeoIP database ").append(path).append(" cannot be read: ").append(e.getMessage());
            return CountryLocator.unusable(why.toString());
        }
    }

    /** Warns when the file has {@code g} lines that no database can evaluate. */
    static void warnIfUnusable(SuspicionFile rules, CountryLocator geo, String why, PrintWriter err) {
        if (rules.usesCountries() && !geo.available()) {
            err.println("warning: " + rules.fileName() + ": g lines cannot be evaluated, so never match: " + why);
        }
    }
}
