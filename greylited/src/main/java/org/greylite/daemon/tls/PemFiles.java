package org.greylite.daemon.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Certificates and private keys from PEM files, as certbot, openssl and most CAs write them. A certificate
 * file may hold a chain (the server's certificate first, then the intermediates); a key file holds one key,
 * PKCS#8 ({@code BEGIN PRIVATE KEY}) or the traditional RSA and EC forms ({@code BEGIN RSA PRIVATE KEY},
 * {@code BEGIN EC PRIVATE KEY}). BouncyCastle does the parsing. Every error names the file and says what
 * is wrong with it, for the administrator who wrote the option.
 */
public final class PemFiles {

    private PemFiles() {
    }

    /** Every certificate in {@code file}, in order; at least one. */
    public static List<X509Certificate> certificates(Path file, String option) {
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        for (Object o : objects(file, option)) {
            if (o instanceof X509CertificateHolder h) {
                try {
                    out.add(converter.getCertificate(h));
                } catch (CertificateException e) {
                    throw problem(option, file, "holds a certificate that cannot be read: " + e.getMessage());
                }
            }
        }
        if (out.isEmpty()) {
            throw problem(option, file, "holds no certificate (a PEM block '-----BEGIN CERTIFICATE-----' is expected; "
                    + "a binary DER file converts with openssl x509 -inform der -in FILE)");
        }
        return out;
    }

    /** The one private key in {@code file}; an encrypted key is refused, since nobody is there to type its passphrase. */
    public static PrivateKey privateKey(Path file, String option) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        PrivateKey key = null;
        for (Object o : objects(file, option)) {
            PrivateKey k;
            try {
                if (o instanceof PEMKeyPair pair) {
                    // BEGIN RSA / EC PRIVATE KEY; an EC key may leave its public half out.
                    k = converter.getPrivateKey(pair.getPrivateKeyInfo());
                } else if (o instanceof PrivateKeyInfo info) {
                    k = converter.getPrivateKey(info);                    // BEGIN PRIVATE KEY (PKCS#8)
                } else if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
                    throw problem(option, file, "holds an encrypted private key; greylited starts unattended, so give it "
                            + "the key unencrypted (openssl pkey -in " + file + " -out NEWFILE), readable by its user only");
                } else {
                    continue; // EC PARAMETERS before an EC key, a certificate in the same file: not the key
                }
            } catch (IOException e) {
                throw problem(option, file, "holds a private key that cannot be read: " + e.getMessage());
            }
            if (key != null) {
                throw problem(option, file, "holds more than one private key; keep only the one for the certificate");
            }
            key = k;
        }
        if (key == null) {
            throw problem(option, file, "holds no private key (a PEM block '-----BEGIN PRIVATE KEY-----', "
                    + "'-----BEGIN RSA PRIVATE KEY-----' or '-----BEGIN EC PRIVATE KEY-----' is expected)");
        }
        return key;
    }

    /** The PEM objects of a file, or an error that names it. */
    private static List<Object> objects(Path file, String option) {
        if (!Files.exists(file)) {
            throw problem(option, file, "does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw problem(option, file, "is not a regular file");
        }
        List<Object> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
             org.bouncycastle.openssl.PEMParser parser = new org.bouncycastle.openssl.PEMParser(r)) {
            Object o;
            while ((o = parser.readObject()) != null) {
                out.add(o);
            }
        } catch (java.nio.file.AccessDeniedException e) {
            throw problem(option, file, "cannot be read by this user (permission denied)");
        } catch (IOException | RuntimeException e) {
            throw problem(option, file, "is not valid PEM: " + e.getMessage());
        }
        return out;
    }

    static IllegalArgumentException problem(String option, Path file, String what) {
        return new IllegalArgumentException(option + ": " + file + " " + what);
    }
}
