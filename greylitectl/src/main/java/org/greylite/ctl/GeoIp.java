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

    /** The database, or {@link CountryLocator#NONE} when there is none or it cannot be read (then {@code why} says so). */
    static CountryLocator open(Map<String, String> env, StringBuilder why) {
        Path path = path(env);
        if (!Files.exists(path)) {
            why.append("no GeoIP database: ").append(path).append(" does not exist (GEOIPDB_FILE)");
            return CountryLocator.NONE;
        }
        try {
            return GeoIpDatabases.open(path);
        } catch (IOException e) {
            why.append("the GeoIP database ").append(path).append(" cannot be read: ").append(e.getMessage());
            return CountryLocator.NONE;
        }
    }

    /** Warns when the file has {@code g} lines that no database can evaluate. */
    static void warnIfUnusable(SuspicionFile rules, CountryLocator geo, String why, PrintWriter err) {
        if (rules.usesCountries() && geo == CountryLocator.NONE) {
            err.println("warning: " + rules.fileName() + ": g lines cannot be evaluated, so never match: " + why);
        }
    }
}
