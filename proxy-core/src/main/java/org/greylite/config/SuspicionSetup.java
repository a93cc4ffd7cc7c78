package org.greylite.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.greylite.suspicion.ReloadingSuspicionPolicy;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.suspicion.geoip.CountryLocator;
import org.greylite.suspicion.geoip.GeoIpDatabases;
import org.greylite.suspicion.geoip.ReopeningCountryLocator;
import org.slf4j.Logger;

/**
 * Loads the suspicion file (reloaded when it changes) and the GeoIP database its {@code g} lines need
 * ({@code GEOIPDB_FILE}, default {@link GeoIpDatabases#DEFAULT_PATH}; both read again on SIGHUP). The rules report their own
 * problems (malformed lines, {@code g} lines without a database) as they load.
 */
public final class SuspicionSetup {

    /** Where the database's path comes from, for the administrator: every program reads the one or the other. */
    private static final String GEOIP_SETTING = "--geoip-db, or GEOIPDB_FILE";

    private SuspicionSetup() {
    }

    /**
     * @param file the suspicion file, or null for none (every client gets the default)
     * @throws IOException when the file cannot be read
     */
    public static SuspicionPolicy load(Path file, Map<String, String> env, Logger log) throws IOException {
        return load(file, env, log, () -> { });
    }

    /**
     * As {@link #load(Path, Map, Logger)}, telling {@code reloadFailed} of each reload that kept the rules
     * loaded before (for a metric).
     */
    public static SuspicionPolicy load(Path file, Map<String, String> env, Logger log, Runnable reloadFailed)
            throws IOException {
        if (file == null) {
            // Not "then auto-whitelisted": whether and when a client is, is the program's setting, said in its own
            // start-up line (greylite-policy --auto-whitelist-clients=0 turns it off).
            log.info("no suspicion file: no client is suspicious, and a new triplet is refused once");
            return SuspicionPolicy.NONE;
        }
        StringBuilder whyNoGeo = new StringBuilder();
        CountryLocator geo = geoIp(env, log, whyNoGeo);
        ReloadingSuspicionPolicy rules = ReloadingSuspicionPolicy.open(file, geo, whyNoGeo.toString(), reloadFailed);
        log.info("suspicion rules: {} line(s) from {}", rules.current().ruleCount(), file);
        return rules;
    }

    /**
     * The database, or none when it is missing or unusable: the rules still load, as with a bad .mmdb or any other
     * unreadable file, and their g lines never match; an error names the setting, the file and what is wrong (an
     * error, not a warning: the wrapper's default LOGTHRESHOLD shows errors only, and a database the administrator
     * named but that is not used is a configuration error). {@code whyNone} gets the reason, for the rules' own
     * error about their g lines.
     */
    private static CountryLocator geoIp(Map<String, String> env, Logger log, StringBuilder whyNone) {
        String v = env.get("GEOIPDB_FILE");
        Path path = v == null || v.isBlank() ? GeoIpDatabases.DEFAULT_PATH : Path.of(v);
        if (!Files.exists(path)) {
            if (v != null) {
                log.error("GeoIP database {} does not exist ({}): g lines will not match", path, GEOIP_SETTING);
                whyNone.append("the GeoIP database configured (").append(GEOIP_SETTING).append("), ").append(path)
                        .append(", does not exist");
            } else {
                whyNone.append("no GeoIP database is configured (").append(GEOIP_SETTING).append("), and the default, ")
                        .append(path).append(", does not exist");
            }
            return CountryLocator.NONE;
        }
        try {
            return ReopeningCountryLocator.open(path); // read again on SIGHUP
        } catch (IOException e) {
            String why = FileErrors.describe(path, e);
            log.error("GeoIP database {} ({}) cannot be used: {}; g lines will not match", path, GEOIP_SETTING, why);
            whyNone.append("the GeoIP database configured (").append(GEOIP_SETTING).append("), ").append(path)
                    .append(", cannot be used: ").append(why);
            return CountryLocator.NONE;
        }
    }
}
