package org.greylite.suspicion.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaxMindCountryLocatorTest {

    @TempDir
    Path dir;

    private Path dualStackDatabase(String fileName) throws IOException {
        byte[] bytes = new TinyMmdbWriter(6)
                .add("81.2.69.0/24", Map.of(
                        "country", Map.of("iso_code", "GB", "names", Map.of("en", "United Kingdom", "it", "Regno Unito")),
                        "registered_country", Map.of("iso_code", "GB"),
                        "continent", Map.of("code", "EU")))
                .add("203.0.113.0/24", Map.of("registered_country", Map.of("iso_code", "JP")))
                .add("198.51.100.0/24", Map.of("continent", Map.of("code", "EU")))
                .add("2001:db8:1::/48", Map.of("country", Map.of("iso_code", "de")))
                .build();
        return Files.write(dir.resolve(fileName), bytes);
    }

    @Test
    void readsCountryCodes() throws IOException {
        try (MaxMindCountryLocator db = MaxMindCountryLocator.open(dualStackDatabase("test.mmdb"))) {
            assertEquals(Optional.of("GB"), db.countryOf("81.2.69.160"));
            assertEquals(Optional.of("GB"), db.countryOf("::ffff:81.2.69.160"));
            assertEquals(Optional.of("DE"), db.countryOf("2001:db8:1:2::25"));
            assertTrue(db.description().contains("Greylite-Test-Country"), db.description());
        }
    }

    @Test
    void fallsBackToTheRegisteredCountry() throws IOException {
        try (MaxMindCountryLocator db = MaxMindCountryLocator.open(dualStackDatabase("test.mmdb"))) {
            assertEquals(Optional.of("JP"), db.countryOf("203.0.113.9"));
        }
    }

    @Test
    void unknownAddressesAreCoveredButHaveNoCountry() throws IOException {
        try (MaxMindCountryLocator db = MaxMindCountryLocator.open(dualStackDatabase("test.mmdb"))) {
            assertTrue(db.covers("198.51.100.7"));
            assertEquals(Optional.empty(), db.countryOf("198.51.100.7")); // a record without a country
            assertEquals(Optional.empty(), db.countryOf("192.0.2.1"));    // no record at all
            assertEquals(Optional.empty(), db.countryOf("2001:db8:2::1"));
            assertTrue(db.covers("2001:db8:2::1"));
            assertFalse(db.covers("mail.example.org"));
            assertEquals(Optional.empty(), db.countryOf("mail.example.org"));
        }
    }

    @Test
    void anIpv4DatabaseDoesNotCoverIpv6() throws IOException {
        Path file = Files.write(dir.resolve("v4.mmdb"), new TinyMmdbWriter(4)
                .add("81.2.69.0/24", Map.of("country", Map.of("iso_code", "GB")))
                .build());
        try (MaxMindCountryLocator db = MaxMindCountryLocator.open(file)) {
            assertEquals(Optional.of("GB"), db.countryOf("81.2.69.1"));
            assertTrue(db.covers("81.2.69.1"));
            assertTrue(db.covers("::ffff:81.2.69.1"));
            assertFalse(db.covers("2001:db8::1"));
            assertEquals(Optional.empty(), db.countryOf("2001:db8::1"));
        }
    }

    @Test
    void theContentDecidesTheFormat() throws IOException {
        CountryLocator db = GeoIpDatabases.open(dualStackDatabase("GeoIP.dat"));
        assertInstanceOf(MaxMindCountryLocator.class, db);
        assertEquals(Optional.of("GB"), db.countryOf("81.2.69.160"));
        ((MaxMindCountryLocator) db).close();
    }

    @Test
    void aFileNamedMmdbMustBeOne() throws IOException {
        Path file = Files.write(dir.resolve("bogus.mmdb"), new byte[64]);
        IOException e = assertThrows(IOException.class, () -> GeoIpDatabases.open(file));
        assertTrue(e.getMessage().contains("MaxMind DB"), e.getMessage());
    }

    @Test
    void aMissingFileSaysSo() throws IOException {
        assertThrows(NoSuchFileException.class, () -> GeoIpDatabases.open(dir.resolve("absent.dat")));
        assertSame(CountryLocator.NONE, GeoIpDatabases.openIfPresent(dir.resolve("absent.dat")));
        CountryLocator present = GeoIpDatabases.openIfPresent(dualStackDatabase("x.mmdb"));
        assertInstanceOf(MaxMindCountryLocator.class, present);
        ((MaxMindCountryLocator) present).close();
    }
}
