package org.greylite.suspicion.geoip;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * {@code k * 2 * recordLength} and holds two little-endian records of {@code recordLength} bytes, for bit
 * 0 and bit 1. A record below the database segment is the next node; a record at or above it is a leaf,
 * whose value minus the segment is an index into the country table ({@link #COUNTRY_CODES}; index 0,
 * {@code --}, is "unknown"). The last bytes of the file describe the database: within the final
 * {@value #STRUCTURE_INFO_MAX_SIZE} bytes, three 0xFF bytes followed by the database type (from 106 on,
 * 105 is subtracted). A file without that marker is a Country edition, as the C library assumes. Before the
 * marker, after three zero bytes, an ASCII line describes the build.
 *
 * <p>Only Country editions are accepted: IPv4 (type 1), IPv6 (type 12) and their "large" variants (17, 18).
 * The IPv6 editions place IPv4 addresses at {@code ::a.b.c.d}, where this reader looks them up. The whole
 * file is read into memory, so a later update of the file on disk does not disturb lookups.
 */
public final class LegacyGeoIpDat implements CountryLocator {

    /** The first leaf value of Country editions: leaf = COUNTRY_BEGIN + country index. */
    public static final int COUNTRY_BEGIN = 16776960;
    /** The first leaf value of the "large" Country editions. */
    public static final int LARGE_COUNTRY_BEGIN = 16515072;

    static final int STRUCTURE_INFO_MAX_SIZE = 20;
    static final int DATABASE_INFO_MAX_SIZE = 100;
    static final int COUNTRY_EDITION = 1;
    static final int COUNTRY_EDITION_V6 = 12;
    static final int LARGE_COUNTRY_EDITION = 17;
    static final int LARGE_COUNTRY_EDITION_V6 = 18;
    private static final int STANDARD_RECORD_LENGTH = 3;

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
    private final int type;
    private final int segment;
    private final int recordLength;
    private final boolean ipv6;
    private final String info;

    private LegacyGeoIpDat(String name, byte[] data) throws IOException {
        this.name = name;
        this.data = data;
        if (data.length < 2 * STANDARD_RECORD_LENGTH) {
            throw new IOException(name + ": too short for a GeoIP database (" + data.length + " bytes)");
        }
        this.type = databaseType(data);
        switch (type) {
            case COUNTRY_EDITION, COUNTRY_EDITION_V6 -> this.segment = COUNTRY_BEGIN;
            case LARGE_COUNTRY_EDITION, LARGE_COUNTRY_EDITION_V6 -> this.segment = LARGE_COUNTRY_BEGIN;
            default -> throw new IOException(name + ": legacy GeoIP database of type " + type
                    + ", not a Country edition; only Country editions give countries");
        }
        this.recordLength = STANDARD_RECORD_LENGTH;
        this.ipv6 = type == COUNTRY_EDITION_V6 || type == LARGE_COUNTRY_EDITION_V6;
        this.info = databaseInfo(data);
    }

    /** Reads a legacy GeoIP Country database. */
    public static LegacyGeoIpDat open(Path file) throws IOException {
        return new LegacyGeoIpDat(file.toString(), Files.readAllBytes(file));
    }

    /** A database from bytes already in memory; {@code name} is for messages. */
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

    /** Walks the trie; returns the leaf value, or -1 if the file is corrupt. */
    private int seek(byte[] key) {
        int bits = key.length * 8;
        long node = 0;
        int nodeSize = 2 * recordLength;
        for (int i = 0; i < bits; i++) {
            long base = node * nodeSize;
            if (base + nodeSize > data.length) {
                return -1;
            }
            int bit = (key[i >> 3] >> (7 - (i & 7))) & 1;
            int p = (int) base + bit * recordLength;
            int x = 0;
            for (int b = recordLength - 1; b >= 0; b--) {
                x = (x << 8) | (data[p + b] & 0xff);
            }
            if (x >= segment) {
                return x;
            }
            node = x;
        }
        return -1; // a well-formed trie ends in a leaf within the address's bits
    }

    private static int databaseType(byte[] data) {
        for (int i = 0; i < STRUCTURE_INFO_MAX_SIZE; i++) {
            int p = data.length - 3 - i;
            if (p < 0) {
                break;
            }
            if ((data[p] & 0xff) == 0xff && (data[p + 1] & 0xff) == 0xff && (data[p + 2] & 0xff) == 0xff) {
                if (p + 3 >= data.length) {
                    break;
                }
                int type = data[p + 3] & 0xff;
                return type >= 106 ? type - 105 : type;
            }
        }
        return COUNTRY_EDITION;
    }

    private static String databaseInfo(byte[] data) {
        for (int i = 0; i < DATABASE_INFO_MAX_SIZE; i++) {
            int p = data.length - 3 - i;
            if (p < 0) {
                break;
            }
            if (data[p] == 0 && data[p + 1] == 0 && data[p + 2] == 0) {
                int end = p + 3;
                while (end < data.length && data[end] >= 0x20 && data[end] < 0x7f) {
                    end++;
                }
                return new String(data, p + 3, end - p - 3, StandardCharsets.US_ASCII).trim();
            }
        }
        return "";
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
