package org.greylite.suspicion.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LegacyGeoIpDatTest {

    /*
     * Addresses of long-lived institutions, whose country does not move between database builds. The
     * expected countries agree with libGeoIP's own lookups in Debian's files.
     */
    @ParameterizedTest(name = "{0} is in {1}")
    @CsvSource({
        "193.0.6.139, NL",   // RIPE NCC, Amsterdam
        "133.11.0.1, JP",    // University of Tokyo
        "147.229.1.1, CZ",   // Brno University of Technology
        "200.160.0.8, BR",   // NIC.br
        "131.130.1.11, AT",  // University of Vienna
        "8.8.8.8, US",
        "::ffff:193.0.6.139, NL",
    })
    void debianIpv4Edition(String address, String country) throws IOException {
        LegacyGeoIpDat db = LegacyGeoIpDat.open(DebianGeoIp.require(DebianGeoIp.IPV4));
        assertFalse(db.ipv6());
        assertTrue(db.covers(address));
        assertEquals(Optional.of(country), db.countryOf(address));
    }

    @Test
    void debianIpv4EditionKnowsNothingOfPrivateAddressesAndCannotPlaceIpv6() throws IOException {
        LegacyGeoIpDat db = LegacyGeoIpDat.open(DebianGeoIp.require(DebianGeoIp.IPV4));
        assertEquals(Optional.empty(), db.countryOf("10.1.2.3"));
        assertEquals(Optional.empty(), db.countryOf("127.0.0.1"));
        assertEquals(Optional.empty(), db.countryOf("192.0.2.1"));
        assertTrue(db.covers("10.1.2.3"));
        assertFalse(db.covers("2001:200::1"));
        assertEquals(Optional.empty(), db.countryOf("2001:200::1"));
        assertFalse(db.covers("mail.example.org")); // never resolved
        assertTrue(db.description().contains("legacy GeoIP Country edition"), db.description());
        assertTrue(db.databaseInfo().startsWith("GEO-"), db.databaseInfo());
    }

    @ParameterizedTest(name = "{0} is in {1}")
    @CsvSource({
        "2001:200::1, JP",          // WIDE project
        "2001:610::1, NL",          // SURFnet
        "2804:14c::1, BR",
        "2001:4860:4860::8888, US",
        "[2001:610::1], NL",
        "2001:610::1%eth0, NL",
        "193.0.6.139, NL",          // IPv4 lives at ::a.b.c.d in the IPv6 edition
        "::ffff:193.0.6.139, NL",
    })
    void debianIpv6Edition(String address, String country) throws IOException {
        LegacyGeoIpDat db = LegacyGeoIpDat.open(DebianGeoIp.require(DebianGeoIp.IPV6));
        assertTrue(db.ipv6());
        assertTrue(db.covers(address));
        assertEquals(Optional.of(country), db.countryOf(address));
    }

    @Test
    void debianIpv6EditionKnowsNothingOfDocumentationAddresses() throws IOException {
        LegacyGeoIpDat db = LegacyGeoIpDat.open(DebianGeoIp.require(DebianGeoIp.IPV6));
        assertEquals(Optional.empty(), db.countryOf("2001:db8::1"));
        assertEquals(Optional.empty(), db.countryOf("::1"));
        assertTrue(db.description().contains("IPv6"), db.description());
    }

    @Test
    void debianFilesAreRecognisedAsLegacy() throws IOException {
        CountryLocator db = GeoIpDatabases.open(DebianGeoIp.require(DebianGeoIp.IPV4));
        assertTrue(db instanceof LegacyGeoIpDat);
    }

    /**
     * A hand-made IPv4 database: first bit 0 is IT; 10... is unknown; 11... is DE; with the build line and
     * the structure marker the C library writes.
     */
    private static byte[] tinyDatabase(int type, int segment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        record(out, segment + index("IT"));
        record(out, 1);
        record(out, segment); // "--"
        record(out, segment + index("DE"));
        out.writeBytes(new byte[] {0, 0, 0});
        out.writeBytes("TEST 20240101 Build 1".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) type});
        return out.toByteArray();
    }

    private static void record(ByteArrayOutputStream out, int value) {
        out.write(value);
        out.write(value >> 8);
        out.write(value >> 16);
    }

    private static int index(String code) {
        return Arrays.asList(LegacyGeoIpDat.COUNTRY_CODES).indexOf(code);
    }

    @Test
    void walksTheTrie() throws IOException {
        LegacyGeoIpDat db = LegacyGeoIpDat.fromBytes("tiny", tinyDatabase(1, LegacyGeoIpDat.COUNTRY_BEGIN));
        assertEquals(Optional.of("IT"), db.countryOf("10.0.0.1"));
        assertEquals(Optional.of("IT"), db.countryOf("127.255.255.255"));
        assertEquals(Optional.empty(), db.countryOf("128.0.0.1"));
        assertEquals(Optional.of("DE"), db.countryOf("192.0.0.1"));
        assertEquals(Optional.of("DE"), db.countryOf("255.255.255.255"));
        assertEquals("TEST 20240101 Build 1", db.databaseInfo());
    }

    @Test
    void typesFrom106OnAreShifted() throws IOException {
        LegacyGeoIpDat db = LegacyGeoIpDat.fromBytes("tiny", tinyDatabase(106, LegacyGeoIpDat.COUNTRY_BEGIN));
        assertEquals(Optional.of("DE"), db.countryOf("200.0.0.1"));
    }

    @Test
    void readsTheLargeCountryEdition() throws IOException {
        LegacyGeoIpDat db = LegacyGeoIpDat.fromBytes("tiny", tinyDatabase(17, LegacyGeoIpDat.LARGE_COUNTRY_BEGIN));
        assertEquals(Optional.of("IT"), db.countryOf("1.2.3.4"));
    }

    @Test
    void refusesEditionsWithoutCountries() {
        IOException e = assertThrows(IOException.class,
                () -> LegacyGeoIpDat.fromBytes("city", tinyDatabase(2, LegacyGeoIpDat.COUNTRY_BEGIN)));
        assertTrue(e.getMessage().contains("not a Country edition"), e.getMessage());
        assertThrows(IOException.class, () -> LegacyGeoIpDat.fromBytes("short", new byte[3]));
    }

    /** The message of a file refused as {@code bytes}. */
    private static String refusal(byte[] bytes) {
        return assertThrows(IOException.class, () -> LegacyGeoIpDat.fromBytes("bad", bytes)).getMessage();
    }

    /** Random bytes, with no 0xFF bytes in their last 23 (so that no structure marker appears by chance). */
    private static byte[] randomBytes(int size) {
        byte[] b = new byte[size];
        new Random(2024).nextBytes(b);
        for (int i = Math.max(0, size - 23); i < size; i++) {
            b[i] = (byte) (b[i] == (byte) 0xff ? 0x7f : b[i]);
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static final byte[] MARKER_COUNTRY = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 1};

    @Test
    void aRandomFileNamedDatIsRefusedForWantOfTheStructureMarker(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("GeoIP.dat"), randomBytes(200_000));
        IOException e = assertThrows(IOException.class, () -> GeoIpDatabases.open(file));
        assertEquals("not a GeoIP legacy country database: no structure marker (three 0xFF bytes and the database"
                + " type within its last 20 bytes)", e.getMessage());
        assertTrue(refusal(new byte[3]).contains("no structure marker"));
        assertTrue(refusal(new byte[64]).contains("no structure marker"), "a file of zeros is no database either");
    }

    @Test
    void aSizeThatIsNotWholeNodesIsRefused() {
        assertEquals("not a GeoIP legacy country database: its size does not fit its record layout (the 1000 bytes"
                + " before its structure marker are not a whole number of 6-byte trie nodes)",
                refusal(concat(randomBytes(1000), MARKER_COUNTRY)));
        byte[] tiny = tinyDatabase(1, LegacyGeoIpDat.COUNTRY_BEGIN);
        byte[] oneByteMore = concat(new byte[] {0}, tiny);
        assertTrue(refusal(oneByteMore).contains("the 13 bytes before its build line are not a whole number"),
                refusal(oneByteMore));
        assertTrue(refusal(MARKER_COUNTRY).contains("the 0 bytes before its structure marker"), "no trie at all");
    }

    @Test
    void recordsThatLeadNowhereAreRefused() {
        // Random records of whole nodes: most point far beyond the file.
        assertTrue(refusal(concat(randomBytes(996), MARKER_COUNTRY)).matches(
                "not a GeoIP legacy country database: node \\d+ points to node \\d+, but the file has 166 nodes"),
                refusal(concat(randomBytes(996), MARKER_COUNTRY)));
        ByteArrayOutputStream loop = new ByteArrayOutputStream();
        record(loop, 1);
        record(loop, LegacyGeoIpDat.COUNTRY_BEGIN + index("DE"));
        record(loop, 0); // back to the root
        record(loop, LegacyGeoIpDat.COUNTRY_BEGIN + index("IT"));
        loop.writeBytes(MARKER_COUNTRY);
        assertEquals("not a GeoIP legacy country database: node 1 points back to the first node",
                refusal(loop.toByteArray()));
        ByteArrayOutputStream beyondTheTable = new ByteArrayOutputStream();
        record(beyondTheTable, LegacyGeoIpDat.LARGE_COUNTRY_BEGIN + 300);
        record(beyondTheTable, LegacyGeoIpDat.LARGE_COUNTRY_BEGIN + index("DE"));
        beyondTheTable.writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 17});
        assertEquals("not a GeoIP legacy country database: node 0 holds country index 300, beyond the 256 countries"
                + " of the table", refusal(beyondTheTable.toByteArray()));
    }

    @Test
    void aTrieThatPlacesNoWellKnownAddressInACountryIsRefused() {
        ByteArrayOutputStream unknown = new ByteArrayOutputStream();
        record(unknown, LegacyGeoIpDat.COUNTRY_BEGIN); // "--" for every address
        record(unknown, LegacyGeoIpDat.COUNTRY_BEGIN);
        unknown.writeBytes(MARKER_COUNTRY);
        assertEquals("not a GeoIP legacy country database: it places none of 8.8.8.8, 193.0.6.139, 133.11.0.1 in a"
                + " country", refusal(unknown.toByteArray()));
        ByteArrayOutputStream selfLoop = new ByteArrayOutputStream();
        record(selfLoop, 1);
        record(selfLoop, LegacyGeoIpDat.COUNTRY_BEGIN + index("DE"));
        record(selfLoop, 1); // node 1 leads to itself: 0... addresses never reach a leaf
        record(selfLoop, 1);
        selfLoop.writeBytes(MARKER_COUNTRY);
        assertEquals("not a GeoIP legacy country database: the lookup of 8.8.8.8 goes round its trie without"
                + " reaching a country", refusal(selfLoop.toByteArray()));
    }

    @Test
    void theCountryTableHasTheLibraryOrder() {
        assertEquals(256, LegacyGeoIpDat.COUNTRY_CODES.length);
        assertEquals("--", LegacyGeoIpDat.COUNTRY_CODES[0]);
        assertEquals("CW", LegacyGeoIpDat.COUNTRY_CODES[10]);
        assertEquals("US", LegacyGeoIpDat.COUNTRY_CODES[225]);
        assertEquals("SS", LegacyGeoIpDat.COUNTRY_CODES[254]);
    }
}
