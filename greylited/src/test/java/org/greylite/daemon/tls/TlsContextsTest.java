package org.greylite.daemon.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;

import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM certificates and keys as administrators have them, and the errors they get for files that cannot serve. */
class TlsContextsTest {

    @TempDir
    Path dir;

    @Test
    void everyUsualKeyFormLoads() throws Exception {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            for (TestCertificates.KeyForm form : TestCertificates.KeyForm.values()) {
                TestCertificates.Pem pem = TestCertificates.write(dir, algorithm + "-" + form, algorithm, form);
                String key = Files.readString(pem.key());
                assertTrue(key.contains(form == TestCertificates.KeyForm.PKCS8 ? "BEGIN PRIVATE KEY"
                        : "BEGIN " + algorithm + " PRIVATE KEY"), key);
                TlsContexts.ServerTls tls = TlsContexts.server(pem.cert(), pem.key());
                assertEquals(pem.certificate(), tls.certificate());
            }
        }
    }

    @Test
    void aChainFileServesItsFirstCertificate() throws Exception {
        TestCertificates.Pem ca = TestCertificates.issuedBy(dir, "ca", null);
        TestCertificates.Pem own = TestCertificates.issuedBy(dir, "own", ca);
        Path chain = Files.writeString(dir.resolve("fullchain.pem"),
                Files.readString(own.cert()) + Files.readString(ca.cert()));
        assertEquals(own.certificate(), TlsContexts.server(chain, own.key()).certificate());
        assertEquals(2, PemFiles.certificates(chain, "--tls-cert").size());

        Path reversed = Files.writeString(dir.resolve("reversed.pem"),
                Files.readString(ca.cert()) + Files.readString(own.cert()));
        assertMessage(() -> TlsContexts.server(reversed, own.key()), "--tls-cert: " + reversed + " is not a chain in order");
        Path unordered = Files.writeString(dir.resolve("unordered.pem"),
                Files.readString(own.cert()) + Files.readString(TestCertificates.rsa(dir, "stranger").cert()));
        assertMessage(() -> TlsContexts.server(unordered, own.key()), "--tls-cert: " + unordered + " is not a chain in order");
    }

    @Test
    void aKeyOfAnotherCertificateIsNamed() throws Exception {
        TestCertificates.Pem own = TestCertificates.rsa(dir, "own");
        TestCertificates.Pem other = TestCertificates.rsa(dir, "other");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsContexts.server(own.cert(), other.key()));
        assertTrue(e.getMessage().startsWith("--tls-key: " + other.key() + " is not the private key of the certificate in "
                + own.cert()), e.getMessage());
    }

    @Test
    void unusableFilesAreNamedWithTheProblem() throws Exception {
        TestCertificates.Pem pem = TestCertificates.rsa(dir, "mx");
        Path missing = dir.resolve("missing.pem");
        assertMessage(() -> TlsContexts.server(missing, pem.key()), "--tls-cert: " + missing + " does not exist");
        assertMessage(() -> TlsContexts.server(pem.cert(), missing), "--tls-key: " + missing + " does not exist");

        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n"
                + "-----END CERTIFICATE-----\n");
        assertMessage(() -> TlsContexts.server(garbage, pem.key()), "--tls-cert: " + garbage + " is not valid PEM");
        assertMessage(() -> TlsContexts.server(pem.key(), pem.key()), "--tls-cert: " + pem.key() + " holds no certificate");
        assertMessage(() -> TlsContexts.server(pem.cert(), pem.cert()), "--tls-key: " + pem.cert() + " holds no private key");
        assertMessage(() -> TlsContexts.server(dir, pem.key()), "--tls-cert: " + dir + " is not a regular file");
        assertMessage(() -> TlsContexts.upstream(missing), "--upstream-tls-ca: " + missing + " does not exist");

        Path unreadable = Files.copy(pem.key(), dir.resolve("unreadable.pem"));
        Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
        String expected = "--tls-key: " + unreadable + " cannot be read by this user (permission denied)";
        if (UnprivilegedJava.root()) {
            // Root reads any file: the key is loaded by another user, to whom its mode says no.
            UnprivilegedJava.reachable(dir);
            UnprivilegedJava.Result r = UnprivilegedJava.run(LoadAsThisUser.class, pem.cert().toString(),
                    unreadable.toString());
            assertEquals(0, r.exitStatus(), r.output());
            assertTrue(r.output().contains(expected), r.output());
        } else {
            assertMessage(() -> TlsContexts.server(pem.cert(), unreadable), expected);
        }
    }

    /** Loads the certificate and key its arguments name: prints why it cannot and exits 0, or exits 1 if it loaded. */
    static final class LoadAsThisUser {
        public static void main(String[] args) {
            try {
                TlsContexts.server(Path.of(args[0]), Path.of(args[1]));
                System.out.println("loaded");
                System.exit(1);
            } catch (IllegalArgumentException e) {
                System.out.println(e.getMessage());
            }
        }
    }

    @Test
    void anEncryptedKeyIsRefusedWithTheWayOut() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCSObjectIdentifiers.pbeWithSHAAnd3_KeyTripleDES_CBC)
                .setPassword("secret".toCharArray()).build();
        Path key = Files.writeString(dir.resolve("encrypted.pem"),
                TestCertificates.pem(new JcaPKCS8Generator(g.generateKeyPair().getPrivate(), encryptor)));
        TestCertificates.Pem pem = TestCertificates.rsa(dir, "mx");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TlsContexts.server(pem.cert(), key));
        assertTrue(e.getMessage().contains(key + " holds an encrypted private key"), e.getMessage());
        assertTrue(e.getMessage().contains("openssl pkey"), e.getMessage());
    }

    @Test
    void upstreamTrustIsCheckedOnlyWithACaFile() throws Exception {
        assertFalse(TlsContexts.upstream(null).verify());
        assertTrue(TlsContexts.upstream(TestCertificates.rsa(dir, "ca").cert()).verify());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable e, String start) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().startsWith(start), "expected '" + start + "...' but got: " + x.getMessage());
    }
}
