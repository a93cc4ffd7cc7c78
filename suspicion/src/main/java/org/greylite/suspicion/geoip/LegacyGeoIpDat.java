package org.greylite.suspicion.geoip;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads MaxMind's legacy GeoIP Country databases ({@code GeoIP.dat}, {@code GeoIPv6.dat}), the format
 * greylite used and Debian still ships in {@code geoip-database}.
 *
 * <p>The format: a binary trie over the address bits, most significant first. Node {@code k} sits at byte
 * {@code k * 6} and holds two little-endian records of 3 bytes, for bit 0 and bit 1. A record below the
 * database segment is the next node; a record at or above it is a leaf, whose value minus the segment is an
 * index into the country table ({@link #COUNTRY_CODES}; index 0, {@code --}, is "unknown"). The last bytes of
 * the file describe the database: within the final {@value LegacyDatLayout#STRUCTURE_INFO_MAX_SIZE} bytes,
 * three 0xFF bytes followed by the database type (from 106 on, 105 is subtracted). Before the marker, after
 * three zero bytes, an ASCII line describes the build.
 *
 * <p>Only Country editions are accepted: IPv4 (type 1), IPv6 (type 12) and their "large" variants (17, 18).
 * The IPv6 editions place IPv4 addresses at {@code ::a.b.c.d}, where this reader looks them up. The whole
 * file is read into memory, so a later update of the file on disk does not disturb lookups.
 *
 * <p>The format has no header: a file is taken for a Country database only when its layout says so
 * ({@link LegacyDatLayout}: the structure marker, which the C library does not insist on, and a whole trie whose
 * records all lead somewhere) and when a few addresses whose country every build knows reach a country. Anything
 * else is refused with the reason, rather than read as a database that gives wrong countries.
 */
public final class LegacyGeoIpDat implements CountryLocator {

    /** The first leaf value of Country editions: leaf = COUNTRY_BEGIN + country index. */
    public static final int COUNTRY_BEGIN = 16776960;
    /** The first leaf value of the "large" Country editions. */
    public static final int LARGE_COUNTRY_BEGIN = 16515072;

    /**
     * Addresses of long-lived institutions (Google's resolver, the RIPE NCC, the University of Tokyo; WIDE and
     * Google in IPv6) that every Country build places in a country: a file that leads none of them to one is not
     * a Country database.
     */
    private static final List<String> WELL_KNOWN = List.of("8.8.8.8", "193.0.6.139", "133.11.0.1");
    private static final List<String> WELL_KNOWN_V6 = List.of("2001:4860:4860::8888", "2001:200::1");

    /** The country table of the legacy C library, in its order: the leaf's index is a position in it. */
    static final String[] COUNTRY_CODES = (
            "-- AP EU AD AE AF AG AI AL AM CW AO AQ AR AS AT AU AW AZ BA BB BD BE BF BG BH BI BJ BM BN BO BR BS "
            + "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CX CY CZ DE DJ DK DM DO DZ EC EE EG "
            + "EH ER ES ET FI FJ FK FM FO FR SX GA GB GD GE GF GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN "
            + "HR HT HU ID IE IL IN IO IQ IR IS IT JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR "
            + "LS LT LU LV LY MA MC MD MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI "
            + "NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RU RW SA SB SC SD SE SG "
            + "SH SI SJ SK SL SM SN SO SR ST SV SY SZ TC TD TF TG TH TJ TK TM TN TO TL TR TT TV TW TZ UA UG UM "
            + "US UY UZ VA VC VE VG VI VN VU WF WS YE YT RS ZA ZM ME ZW A1 A2 O1 AX GG IM JE BL MF BQ SS O1")
            .split(" ");

    /** One shared Optional per table entry, so that a lookup allocates nothing. */
    private static final List<Optional<String>> ANSWERS = answers();

    private final String name;
    private final byte[] data;
    private final int segment;
    private final boolean ipv6;
    private final String info;

    private LegacyGeoIpDat(String name, byte[] data) throws IOException {
        this.name = name;
        this.data = data;
        LegacyDatLayout layout = LegacyDatLayout.of(data);
        this.segment = layout.segment();
        this.ipv6 = layout.type() == LegacyDatLayout.COUNTRY_EDITION_V6
                || layout.type() == LegacyDatLayout.LARGE_COUNTRY_EDITION_V6;
        this.info = layout.info();
        checkWellKnownAddresses();
    }

    /** Reads a legacy GeoIP Country database. */
    public static LegacyGeoIpDat open(Path file) throws IOException {
        return new LegacyGeoIpDat(file.toString(), Files.readAllBytes(file));
    }

    /** A database from bytes already in memory; {@code name} is for its description. */
    static LegacyGeoIpDat fromBytes(String name, byte[] data) throws IOException {
        return new LegacyGeoIpDat(name, data.clone());
    }

    /** Whether this is an IPv6 edition (which also holds IPv4, under {@code ::a.b.c.d}). */
    public boolean ipv6() {
        return ipv6;
    }

    /** The build line stored in the file (e.g. {@code GEO-106FREE 20191224 Build 1}), or empty. */
    public String databaseInfo() {
        return info;
    }

    @Override
    public boolean covers(String address) {
        return key(address) != null;
    }

    @Override
    public Optional<String> countryOf(String address) {
        byte[] key = key(address);
        if (key == null) {
            return Optional.empty();
        }
        int leaf = seek(key);
        int index = leaf - segment;
        return index > 0 && index < ANSWERS.size() ? ANSWERS.get(index) : Optional.empty();
    }

    @Override
    public String description() {
        return name + " (legacy GeoIP Country" + (ipv6 ? " IPv6" : "") + " edition"
                + (info.isEmpty() ? "" : ", " + info) + ")";
    }

    @Override
    public String toString() {
        return description();
    }

    /** The bits to walk for {@code address}, or null when this edition cannot place it. */
    private byte[] key(String address) {
        byte[] bytes = IpAddresses.parse(address);
        if (bytes == null) {
            return null;
        }
        bytes = IpAddresses.unmapIpv4(bytes);
        if (ipv6) {
            if (bytes.length == 4) {
                byte[] compatible = new byte[16];
                System.arraycopy(bytes, 0, compatible, 12, 4);
                return compatible;
            }
            return bytes;
        }
        return bytes.length == 4 ? bytes : null;
    }

    /** Each well-known address reaches a leaf, and one at least a country (see {@link #WELL_KNOWN}). */
    private void checkWellKnownAddresses() throws IOException {
        List<String> probes = new ArrayList<>(WELL_KNOWN);
        if (ipv6) {
            probes.addAll(WELL_KNOWN_V6);
        }
        boolean placed = false;
        for (String address : probes) {
            int leaf = seek(key(address));
            if (leaf < 0) {
                throw new IOException(LegacyDatLayout.NOT_A_COUNTRY_DATABASE + ": the lookup of " + address
                        + " goes round its trie without reaching a country");
            }
            placed |= leaf > segment; // index 0 is "--", unknown
        }
        if (!placed) {
            throw new IOException(LegacyDatLayout.NOT_A_COUNTRY_DATABASE + ": it places none of "
                    + String.join(", ", probes) + " in a country");
        }
    }

    /** Walks the trie; returns the leaf value, or -1 if the file is corrupt. */
    private int seek(byte[] key) {
        int bits = key.length * 8;
        long node = 0;
        for (int i = 0; i < bits; i++) {
            long base = node * LegacyDatLayout.NODE_SIZE;
            if (base + LegacyDatLayout.NODE_SIZE > data.length) {
                return -1;
            }
            int bit = (key[i >> 3] >> (7 - (i & 7))) & 1;
            int p = (int) base + bit * LegacyDatLayout.RECORD_LENGTH;
            int x = 0;
            for (int b = LegacyDatLayout.RECORD_LENGTH - 1; b >= 0; b--) {
                x = (x << 8) | (data[p + b] & 0xff);
            }
            if (x >= segment) {
                return x;
            }
            node = x;
        }
        return -1; // a well-formed trie ends in a leaf within the address's bits
    }

    private static List<Optional<String>> answers() {
        List<Optional<String>> answers = new ArrayList<>();
        answers.add(Optional.empty()); // "--": unknown
        for (int i = 1; i < COUNTRY_CODES.length; i++) {
            answers.add(Optional.of(COUNTRY_CODES[i]));
        }
        return List.copyOf(answers);
    }
}
