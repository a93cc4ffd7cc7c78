package org.greylite.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The client certificate's key of a PostgreSQL greydb ({@code sslkey}, or libpq's {@code PGSSLKEY}), checked before
 * the first connection. libpq reads every PEM key OpenSSL writes; the JDBC driver reads PKCS#8 only (PEM
 * {@code BEGIN PRIVATE KEY}, or DER) and decrypts DER only. A key in OpenSSL's traditional forms, which psql takes (an
 * RSA key from {@code openssl genrsa -traditional} or OpenSSL before 3, an EC key from {@code openssl ecparam
 * -genkey}), or an encrypted PKCS#8 key in PEM, failed inside the TLS handshake: a service took that for a server not
 * answering yet, started, and decided every RCPT as a greydb failure for as long as it ran. Such a key stops the start
 * instead, with the command that writes it in a form the driver reads.
 */
final class ClientKeyFile {

    /** The headers of OpenSSL's traditional key forms, which the driver cannot read. */
    private static final List<String> TRADITIONAL = List.of("-----BEGIN RSA PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----", "-----BEGIN DSA PRIVATE KEY-----");

    /** The header of an encrypted PKCS#8 key in PEM ({@code openssl genpkey -aes256}), which the driver cannot read. */
    private static final String ENCRYPTED = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

    /** How much of the file is looked at: a key's header is at its start (after any text OpenSSL leaves before). */
    private static final int HEAD = 64 * 1024;

    private ClientKeyFile() {
    }

    /**
     * @throws StoreException naming the file and the command to run when {@code location}'s {@code sslkey} holds a
     *                        key in a form the driver cannot read. A file that cannot be read is left to the driver,
     *                        whose error names it.
     */
    static void check(GreydbLocation.Postgres location) {
        String file = location.parameters().get("sslkey");
        if (file == null || file.isEmpty()) {
            return;
        }
        String head;
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            head = new String(in.readNBytes(HEAD), StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (head.contains(ENCRYPTED)) {
            throw new StoreException(location.describe() + ": cannot connect: sslkey " + file + " is an encrypted PEM key ("
                    + ENCRYPTED + "), which libpq reads and the PostgreSQL JDBC driver cannot: it reads an encrypted key"
                    + " as DER only, with its password in sslpassword: openssl pkcs8 -topk8 -in " + file
                    + " -outform DER -v1 PBE-SHA1-3DES -out " + file + ".der (the driver cannot decrypt OpenSSL 3's default"
                    + " scheme), and name that file in sslkey (or PGSSLKEY); or write it unencrypted, mode 0600: openssl"
                    + " pkcs8 -topk8 -nocrypt -in " + file + " -out " + file + ".pem");
        }
        for (String header : TRADITIONAL) {
            if (head.contains(header)) {
                throw new StoreException(location.describe() + ": cannot connect: sslkey " + file + " is a key in"
                        + " OpenSSL's traditional form (" + header + "), which libpq reads and the PostgreSQL JDBC driver"
                        + " cannot; write it as PKCS#8, which both read: openssl pkcs8 -topk8 -nocrypt -in " + file
                        + " -out " + file + ".pem, and name that file in sslkey (or PGSSLKEY)");
            }
        }
    }
}
