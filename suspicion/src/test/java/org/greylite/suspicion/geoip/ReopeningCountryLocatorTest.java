package org.greylite.suspicion.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;

import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.ReloadingSuspicionPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GeoIP database replaced on disk is read again on request (SIGHUP), never behind the rules' back. */
class ReopeningCountryLocatorTest {

    @TempDir
    Path dir;

    private Path database(String country) throws IOException {
        return Files.write(dir.resolve(country + ".mmdb"), new TinyMmdbWriter(4)
                .add("81.2.69.0/24", Map.of("country", Map.of("iso_code", country)))
                .build());
    }

    /** Replaces the file the way geoipupdate does: a new file renamed over the old one. */
    private void install(Path source, Path target) throws IOException {
        Files.move(Files.copy(source, target.resolveSibling("incoming"), StandardCopyOption.REPLACE_EXISTING), target,
                StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void aReplacedFileCountsOnlyOnceReadAgain() throws IOException {
        Path file = dir.resolve("GeoIP2-Country.mmdb");
        install(database("GB"), file);
        ReopeningCountryLocator geo = ReopeningCountryLocator.open(file);
        assertEquals(Optional.of("GB"), geo.countryOf("81.2.69.1"));

        install(database("FR"), file);
        assertEquals(Optional.of("GB"), geo.countryOf("81.2.69.1"), "not before it is asked to read it again");
        assertTrue(geo.reopen());
        assertEquals(Optional.of("FR"), geo.countryOf("81.2.69.1"));

        Files.writeString(file, "not a database");
        assertFalse(geo.reopen(), "an unreadable file is refused");
        assertEquals(Optional.of("FR"), geo.countryOf("81.2.69.1"), "and the database read before stays in use");
    }

    @Test
    void reloadingTheRulesReadsTheDatabaseAgain() throws IOException {
        Path file = dir.resolve("GeoIP2-Country.mmdb");
        install(database("GB"), file);
        Path rules = Files.writeString(dir.resolve("suspicion"), "4 g FR\n");
        ReloadingSuspicionPolicy policy = ReloadingSuspicionPolicy.open(rules, ReopeningCountryLocator.open(file));
        ClientFacts client = new ClientFacts("81.2.69.1", "", "", "", "x@example.net", null, null);
        assertEquals(1, policy.evaluate(client).refusals(), "GB: the default");

        install(database("FR"), file);
        assertTrue(policy.reload());
        assertEquals(4, policy.evaluate(client).refusals(), "FR after the reload (SIGHUP)");
    }
}
