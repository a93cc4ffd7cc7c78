package org.greylite.suspicion.geoip;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

import com.maxmind.db.CHMCache;
import com.maxmind.db.MaxMindDbConstructor;
import com.maxmind.db.MaxMindDbParameter;
import com.maxmind.db.Reader;

/**
 * Reads MaxMind DB ({@code .mmdb}) files: GeoLite2/GeoIP2 Country or City, and compatible databases such
 * as DB-IP's. The country is {@code country.iso_code}; a record without one falls back to
 * {@code registered_country.iso_code} (the network's registrant), so that networks MaxMind cannot place
 * more precisely still get a country.
 *
 * <p>Only the two codes are decoded, not the whole record with its names in many languages. An IPv4-only
 * database ({@code ip_version} 4) does not cover IPv6 clients.
 */
public final class MaxMindCountryLocator implements CountryLocator, Closeable {

    private final Reader reader;
    private final String name;
    private final boolean ipv6;

    private MaxMindCountryLocator(String name, Reader reader) {
        this.name = name;
        this.reader = reader;
        this.ipv6 = reader.getMetadata().getIpVersion() == 6;
    }

    /**
     * Reads a MaxMind DB file into memory. Not memory-mapped: an administrator who copies a new database over
     * the file in place (rather than renaming a new file over it) would otherwise change, or truncate, the
     * pages the lookups read; a country database is a few megabytes.
     */
    public static MaxMindCountryLocator open(Path file) throws IOException {
        return new MaxMindCountryLocator(file.toString(), new Reader(file.toFile(), Reader.FileMode.MEMORY, new CHMCache()));
    }

    @Override
    public boolean covers(String address) {
        byte[] bytes = IpAddresses.parse(address);
        return bytes != null && (ipv6 || IpAddresses.unmapIpv4(bytes).length == 4);
    }

    @Override
    public Optional<String> countryOf(String address) {
        byte[] bytes = IpAddresses.parse(address);
        if (bytes == null) {
            return Optional.empty();
        }
        bytes = IpAddresses.unmapIpv4(bytes);
        if (!ipv6 && bytes.length != 4) {
            return Optional.empty();
        }
        try {
            CountryRecord record = reader.get(InetAddress.getByAddress(bytes), CountryRecord.class);
            return record == null ? Optional.empty() : Optional.ofNullable(record.isoCode());
        } catch (UnknownHostException e) {
            return Optional.empty(); // not reached: the bytes have a valid length
        } catch (IOException | RuntimeException e) {
            // A damaged database must not break a mail session: the country is unknown.
            return Optional.empty();
        }
    }

    @Override
    public String description() {
        return name + " (MaxMind DB " + reader.getMetadata().getDatabaseType()
                + ", IPv" + reader.getMetadata().getIpVersion() + ")";
    }

    @Override
    public String toString() {
        return description();
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }

    /** The part of a record this locator reads. Public only because the database reader instantiates it. */
    public static final class CountryRecord {
        private final String isoCode;

        @MaxMindDbConstructor
        public CountryRecord(@MaxMindDbParameter(name = "country") Country country,
                             @MaxMindDbParameter(name = "registered_country") Country registeredCountry) {
            String code = country == null ? null : country.isoCode;
            if (code == null && registeredCountry != null) {
                code = registeredCountry.isoCode;
            }
            this.isoCode = code == null || code.isEmpty() ? null : code.toUpperCase(Locale.ROOT);
        }

        String isoCode() {
            return isoCode;
        }
    }

    /** A {@code country} or {@code registered_country} map. Public only because the database reader instantiates it. */
    public static final class Country {
        private final String isoCode;

        @MaxMindDbConstructor
        public Country(@MaxMindDbParameter(name = "iso_code") String isoCode) {
            this.isoCode = isoCode;
        }
    }
}
