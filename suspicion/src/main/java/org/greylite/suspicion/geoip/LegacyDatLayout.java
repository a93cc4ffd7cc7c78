package org.greylite.suspicion.geoip;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Where the parts of a legacy GeoIP Country file lie, checked before the file is used (see {@link LegacyGeoIpDat}
 * for the format): the trie's nodes from the first byte, then the build line (three zero bytes and ASCII text;
 * MaxMind's files have one, the format does not require it), then the structure marker, three 0xFF bytes and the
 * database type, within the last {@value #STRUCTURE_INFO_MAX_SIZE} bytes.
 *
 * <p>The format has no header, so these checks are what tells a Country database from any other file: the C
 * library takes a file without the marker for a Country edition, and any file then gives countries, wrong ones.
 * Here the marker is required (MaxMind's Country files have one), the trie must be a whole number of nodes, and
 * each of its records must be a country of the table or a node of the file other than the first.
 *
 * @param type    the database type, with 105 taken off types from 106 on (the library's convention)
 * @param segment the first leaf value: a record at or above it is the country index plus this
 * @param info    the build line (e.g. {@code GEO-106FREE 20191224 Build 1}), or ""
 */
record LegacyDatLayout(int type, int segment, String info) {

    /** The first words of every message about a file that is not a legacy GeoIP Country database. */
    static final String NOT_A_COUNTRY_DATABASE = "not a GeoIP legacy country database";

    static final int STRUCTURE_INFO_MAX_SIZE = 20;
    static final int DATABASE_INFO_MAX_SIZE = 100;
    static final int RECORD_LENGTH = 3;
    static final int NODE_SIZE = 2 * RECORD_LENGTH;

    static final int COUNTRY_EDITION = 1;
    static final int COUNTRY_EDITION_V6 = 12;
    static final int LARGE_COUNTRY_EDITION = 17;
    static final int LARGE_COUNTRY_EDITION_V6 = 18;

    /** Reads and checks the layout of {@code data}, a whole file. */
    static LegacyDatLayout of(byte[] data) throws IOException {
        int marker = structureMarker(data);
        if (marker < 0) {
            throw new IOException(NOT_A_COUNTRY_DATABASE + ": no structure marker (three 0xFF bytes and the database"
                    + " type within its last " + STRUCTURE_INFO_MAX_SIZE + " bytes)");
        }
        int type = data[marker + 3] & 0xff;
        if (type >= 106) {
            type -= 105;
        }
        int segment = switch (type) {
            case COUNTRY_EDITION, COUNTRY_EDITION_V6 -> LegacyGeoIpDat.COUNTRY_BEGIN;
            case LARGE_COUNTRY_EDITION, LARGE_COUNTRY_EDITION_V6 -> LegacyGeoIpDat.LARGE_COUNTRY_BEGIN;
            default -> throw new IOException("legacy GeoIP database of type " + type
                    + ", not a Country edition; only Country editions give countries");
        };
        int infoStart = buildLine(data, marker);
        int trieEnd = infoStart >= 0 ? infoStart : marker;
        if (trieEnd == 0 || trieEnd % NODE_SIZE != 0) {
            throw new IOException(NOT_A_COUNTRY_DATABASE + ": its size does not fit its record layout (the "
                    + trieEnd + " bytes before its " + (infoStart >= 0 ? "build line" : "structure marker")
                    + " are not a whole number of " + NODE_SIZE + "-byte trie nodes)");
        }
        checkRecords(data, trieEnd / NODE_SIZE, segment);
        String info = infoStart < 0 ? ""
                : new String(data, infoStart + 3, marker - infoStart - 3, StandardCharsets.US_ASCII).trim();
        return new LegacyDatLayout(type, segment, info);
    }

    /** The offset of the three 0xFF bytes followed by the type byte within the last bytes, or -1. */
    private static int structureMarker(byte[] data) {
        for (int p = data.length - 4; p >= 0 && p > data.length - 3 - STRUCTURE_INFO_MAX_SIZE; p--) {
            if ((data[p] & 0xff) == 0xff && (data[p + 1] & 0xff) == 0xff && (data[p + 2] & 0xff) == 0xff) {
                return p;
            }
        }
        return -1;
    }

    /**
     * The offset of the three zero bytes that open the build line, or -1 when there is none: only printable ASCII
     * may stand between them and the marker, so that zero bytes in the trie's last records are not taken for them.
     */
    private static int buildLine(byte[] data, int marker) {
        for (int p = marker - 3; p >= 0 && p >= marker - 3 - DATABASE_INFO_MAX_SIZE; p--) {
            if (data[p] == 0 && data[p + 1] == 0 && data[p + 2] == 0) {
                return p;
            }
            int joiningTheText = data[p + 2] & 0xff; // between the zeros and the marker, one step further back
            if (joiningTheText < 0x20 || joiningTheText >= 0x7f) {
                return -1;
            }
        }
        return -1;
    }

    /** Every record is a leaf within the country table, or a node of the trie other than the first (the root). */
    private static void checkRecords(byte[] data, int nodes, int segment) throws IOException {
        int leaves = LegacyGeoIpDat.COUNTRY_CODES.length;
        for (int r = 0; r < 2 * nodes; r++) {
            int p = r * RECORD_LENGTH;
            int x = (data[p] & 0xff) | (data[p + 1] & 0xff) << 8 | (data[p + 2] & 0xff) << 16;
            if (x >= segment) {
                if (x - segment >= leaves) {
                    throw new IOException(NOT_A_COUNTRY_DATABASE + ": node " + r / 2 + " holds country index "
                            + (x - segment) + ", beyond the " + leaves + " countries of the table");
                }
            } else if (x == 0) {
                throw new IOException(NOT_A_COUNTRY_DATABASE + ": node " + r / 2 + " points back to the first node");
            } else if (x >= nodes) {
                throw new IOException(NOT_A_COUNTRY_DATABASE + ": node " + r / 2 + " points to node " + x
                        + ", but the file has " + nodes + " node" + (nodes == 1 ? "" : "s"));
            }
        }
    }
}
