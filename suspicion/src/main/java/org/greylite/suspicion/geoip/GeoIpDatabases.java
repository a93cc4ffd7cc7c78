package org.greylite.suspicion.geoip;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

import org.greylite.files.NamedPipe;
import org.greylite.files.TooLargeForMemory;

/**
 * Opens the database {@code GEOIPDB_FILE} names, whichever of the two formats it is.
 *
 * <p>The content decides: a MaxMind DB carries the marker {@code \xAB\xCD\xEFMaxMind.com} before its
 * metadata, near the end of the file; anything else is read as a legacy GeoIP {@code .dat}, and refused when
 * it is not one (see {@link LegacyGeoIpDat}). The extension only guards against a mix-up: a file named
 * {@code .mmdb} without the marker is refused rather than misread as legacy.
 *
 * <p>Either format is read whole into memory, so only a regular file is opened: a named pipe would hold the read
 * until a writer came, and a device such as {@code /dev/zero} never ends. A file larger than the program's heap can
 * hold (a City edition, some 60 MB, in the wrapper's 64 MB) is refused saying so. Each of these held a wrapper
 * session at its first RCPT, its client waiting without a reply until the session deadline (the pipe: for good),
 * and greylited's start.
 */
public final class GeoIpDatabases {

    /** greylite's default for {@code GEOIPDB_FILE}. */
    public static final Path DEFAULT_PATH = Path.of("/usr/local/share/GeoIP/GeoIP.dat");

    /** The MaxMind DB metadata marker. */
    static final byte[] MMDB_MARKER = {(byte) 0xAB, (byte) 0xCD, (byte) 0xEF,
        'M', 'a', 'x', 'M', 'i', 'n', 'd', '.', 'c', 'o', 'm'};

    /** The MaxMind DB specification bounds the metadata (and so the marker's distance from the end) by 128 KiB. */
    private static final int MMDB_METADATA_MAX = 128 * 1024;

    private GeoIpDatabases() {
    }

    /**
     * Opens {@code file} as a legacy GeoIP Country database or a MaxMind DB.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws IOException when it cannot be read or is neither format (a format error's message does not name the
     *                     file: the caller does)
     */
    public static CountryLocator open(Path file) throws IOException {
        requireRegularFile(file);
        boolean mmdb = hasMaxMindMarker(file);
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!mmdb && name.endsWith(".mmdb")) {
            throw new IOException("named .mmdb but has no MaxMind DB metadata marker");
        }
        try {
            return mmdb ? MaxMindCountryLocator.open(file) : LegacyGeoIpDat.open(file);
        } catch (OutOfMemoryError e) {
            // The one array the whole file is read into could not be had; nothing else was taken from the heap.
            throw TooLargeForMemory.of(file, "use a Country edition, or give Java more with -Xmx in JAVA_OPTS");
        }
    }

    /**
     * Refuses what is not a regular file before it is opened. A missing file goes on to the read, whose
     * {@link NoSuchFileException} {@link #openIfPresent} takes for no database.
     */
    private static void requireRegularFile(Path file) throws IOException {
        if (Files.isRegularFile(file) || !Files.exists(file) || Files.isDirectory(file)) {
            return; // a directory is refused by the read, in the words every file of the programs gets
        }
        NamedPipe.refuse(file);
        throw new IOException("it is not a regular file (a device, a socket): a database is read whole into memory");
    }


    /**
     * Opens {@code file} if it exists; without it, {@link CountryLocator#NONE}, so that {@code g} lines are
     * loaded but never match (greylite's behaviour when {@code GEOIPDB_FILE} names no file).
     *
     * @throws IOException when the file exists but cannot be read or is neither format
     */
    public static CountryLocator openIfPresent(Path file) throws IOException {
        try {
            return open(file);
        } catch (NoSuchFileException e) {
            return CountryLocator.NONE;
        }
    }

    static boolean hasMaxMindMarker(Path file) throws IOException {
        try (SeekableByteChannel in = Files.newByteChannel(file, StandardOpenOption.READ)) {
            long size = in.size();
            int tail = (int) Math.min(size, MMDB_METADATA_MAX + MMDB_MARKER.length);
            ByteBuffer buffer = ByteBuffer.allocate(tail);
            in.position(size - tail);
            while (buffer.hasRemaining() && in.read(buffer) >= 0) {
                // keep reading until the tail is in
            }
            return lastIndexOf(buffer.array(), MMDB_MARKER) >= 0;
        }
    }

    private static int lastIndexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = haystack.length - needle.length; i >= 0; i--) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
