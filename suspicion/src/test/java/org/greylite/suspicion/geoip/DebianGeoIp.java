package org.greylite.suspicion.geoip;

import java.nio.file.Files;
import java.nio.file.Path;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The legacy GeoIP databases of Debian's {@code geoip-database} package. Missing, they skip a test on a
 * developer's machine and fail it under CI ({@code CI=true}), where the package is installed.
 */
public final class DebianGeoIp {

    public static final Path IPV4 = Path.of("/usr/share/GeoIP/GeoIP.dat");
    public static final Path IPV6 = Path.of("/usr/share/GeoIP/GeoIPv6.dat");

    private DebianGeoIp() {
    }

    public static Path require(Path file) {
        if (Files.isReadable(file)) {
            return file;
        }
        String why = file + " is missing (Debian package geoip-database)";
        if (ExternalPrograms.underCi()) {
            Assertions.fail(why + "; CI=true, so this is a failure, not a skip");
        }
        Assumptions.abort(why);
        throw new AssertionError("unreachable");
    }
}
