package org.greylite.daemon.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import javax.net.ssl.SSLContext;

import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Self-signed certificates made by the test, written as PEM files the way openssl and certbot write them.
 * Each names {@code localhost} and {@code 127.0.0.1}, so a client that checks names accepts it on loopback.
 */
public final class TestCertificates {

    /** How the private key is written. */
    public enum KeyForm {
        /** {@code BEGIN PRIVATE KEY} */
        PKCS8,
        /** {@code BEGIN RSA PRIVATE KEY} or {@code BEGIN EC PRIVATE KEY} */
        TRADITIONAL
    }

    /** The files, and the certificate they hold. */
    public record Pem(Path cert, Path key, X509Certificate certificate, KeyPair keys) {

        /** A client context that trusts exactly this certificate (and checks the peer's name against it). */
        public SSLContext trustingContext() {
            return TlsContexts.upstream(cert).context();
        }
    }

    private TestCertificates() {
    }

    /** An RSA certificate and its PKCS#8 key in {@code dir}, files named after {@code name}. */
    public static Pem rsa(Path dir, String name) throws IOException, GeneralSecurityException {
        return write(dir, name, "RSA", KeyForm.PKCS8);
    }

    /** @param algorithm "RSA" or "EC" */
    public static Pem write(Path dir, String name, String algorithm, KeyForm form) throws IOException, GeneralSecurityException {
        return write(dir, name, algorithm, form, null);
    }

    /** An RSA certificate issued by {@code issuer} (self-signed when null), its PKCS#8 key beside it. */
    public static Pem issuedBy(Path dir, String name, Pem issuer) throws IOException, GeneralSecurityException {
        return write(dir, name, "RSA", KeyForm.PKCS8, issuer);
    }

    private static Pem write(Path dir, String name, String algorithm, KeyForm form, Pem issuer)
            throws IOException, GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        generator.initialize(algorithm.equals("EC") ? 256 : 2048);
        KeyPair keys = generator.generateKeyPair();
        X509Certificate certificate = certificate(keys, algorithm, "CN=" + name, issuer);
        Path cert = dir.resolve(name + ".crt.pem");
        Path key = dir.resolve(name + ".key.pem");
        Files.writeString(cert, pem(certificate));
        Files.writeString(key, form == KeyForm.PKCS8 ? pem(new JcaPKCS8Generator(keys.getPrivate(), null))
                : algorithm.equals("EC") ? traditionalEc(keys) : pem(keys));
        return new Pem(cert, key, certificate, keys);
    }

    /** The PEM text of a certificate, a key pair (traditional form) or a PKCS#8 generator. */
    public static String pem(Object o) throws IOException {
        Writer text = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(text)) {
            if (o instanceof JcaPKCS8Generator g) {
                w.writeObject(g);
            } else {
                w.writeObject(o);
            }
        }
        return text.toString();
    }

    /** {@code BEGIN EC PRIVATE KEY} as openssl writes it: with the curve and the public key inside (RFC 5915). */
    private static String traditionalEc(KeyPair keys) throws IOException {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
        ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
        SubjectPublicKeyInfo pub = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
        ECPrivateKey full = new ECPrivateKey(256, inner.getKey(), new DERBitString(pub.getPublicKeyData().getBytes()),
                info.getPrivateKeyAlgorithm().getParameters());
        Writer text = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(text)) {
            w.writeObject(new PemObject("EC PRIVATE KEY", full.getEncoded()));
        }
        return text.toString();
    }

    private static X509Certificate certificate(KeyPair keys, String algorithm, String subject, Pem issuer)
            throws GeneralSecurityException {
        try {
            X500Name name = new X500Name(subject);
            X500Name issuerName = issuer == null ? name
                    : new X500Name(issuer.certificate().getSubjectX500Principal().getName());
            PrivateKey signingKey = issuer == null ? keys.getPrivate() : issuer.keys().getPrivate();
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(System.nanoTime()),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), name, keys.getPublic());
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            String signerAlgorithm = signingKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            ContentSigner signer = new JcaContentSignerBuilder(signerAlgorithm).build(signingKey);
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (org.bouncycastle.operator.OperatorCreationException | IOException e) {
            throw new GeneralSecurityException(e);
        }
    }
}
