package org.greylite.suspicion.geoip;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

import org.greylite.files.UnreadableFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GeoIP database file that can be read again while the rules use it: {@link #reopen()} (SIGHUP) swaps in the
 * file as it is now, so a database updated in place (geoipupdate, a new Debian package) takes effect without a
 * restart. A file that cannot be read leaves the database in use, logged as an error: a configuration an
 * administrator must mend, shown at LOGTHRESHOLD=3 as a suspicion file that cannot be read is.
 *
 * <p>The database replaced is not closed: a lookup running on another thread may still be reading it; the
 * garbage collector releases it once the last one is done.
 */
public final class ReopeningCountryLocator implements CountryLocator {

    private static final Logger LOG = LoggerFactory.getLogger(ReopeningCountryLocator.class);

    private final Path file;
    private volatile CountryLocator current;

    private ReopeningCountryLocator(Path file, CountryLocator first) {
        this.file = file;
        this.current = first;
    }

    /** Opens {@code file} ({@code .dat} or {@code .mmdb}, told apart by content). */
    public static ReopeningCountryLocator open(Path file) throws IOException {
        return new ReopeningCountryLocator(Objects.requireNonNull(file, "file"), GeoIpDatabases.open(file));
    }

    @Override
    public boolean reopen() {
        try {
            current = GeoIpDatabases.open(file);
            LOG.info("GeoIP database {} read again: {}", file, current.description());
            return true;
        } catch (IOException e) {
            LOG.error("GeoIP database {} cannot be read again ({}); the one read before stays in use", file,
                    UnreadableFile.reason(file, e));
            return false;
        } catch (RuntimeException e) {
            LOG.error("GeoIP database {} cannot be read again ({}); the one read before stays in use", file, e.getMessage());
            return false;
        }
    }

    @Override
    public Optional<String> countryOf(String address) {
        return current.countryOf(address);
    }

    @Override
    public boolean covers(String address) {
        return current.covers(address);
    }

    @Override
    public String description() {
        return current.description();
    }

    @Override
    public String toString() {
        return description();
    }
}
