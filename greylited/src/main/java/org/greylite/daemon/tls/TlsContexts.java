package org.greylite.daemon.tls;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The {@link SSLContext}s of greylited's two legs, built from PEM files: its own certificate for STARTTLS toward
 * clients, and the trust it places in the upstream's certificate when it starts TLS there.
 */
public final class TlsContexts {

    /** The in-memory key store's password: it never leaves this process, so it protects nothing. */
    private static final char[] NO_PASSWORD = new char[0];

    private TlsContexts() {
    }

    /** What the client side offers: the context and the certificate it presents. */
    public record ServerTls(SSLContext context, X509Certificate certificate) {
    }

    /** What the upstream side uses: the context, and whether the upstream's name is checked against its certificate. */
    public record UpstreamTls(SSLContext context, boolean verify) {
    }

    /**
     * greylited's certificate (with its chain) and private key, checked to belong together.
     *
     * @throws IllegalArgumentException naming the option and file when a file cannot be used
     */
    public static ServerTls server(Path certFile, Path keyFile) {
        ClientRenegotiation.refuse();
        List<X509Certificate> chain = PemFiles.certificates(certFile, "--tls-cert");
        PrivateKey key = PemFiles.privateKey(keyFile, "--tls-key");
        for (int i = 0; i + 1 < chain.size(); i++) {
            if (!chain.get(i).getIssuerX500Principal().equals(chain.get(i + 1).getSubjectX500Principal())) {
                throw PemFiles.problem("--tls-cert", certFile, "is not a chain in order: certificate " + (i + 1) + " ("
                        + chain.get(i).getSubjectX500Principal().getName() + ") was not issued by the one after it ("
                        + chain.get(i + 1).getSubjectX500Principal().getName() + "); greylited's own comes first, "
                        + "then each issuer");
            }
        }
        if (!belongTogether(chain.get(0), key)) {
            throw PemFiles.problem("--tls-key", keyFile, "is not the private key of the certificate in " + certFile
                    + " (the first certificate there must be greylited's own, the chain after it)");
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("greylited", key, NO_PASSWORD, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, NO_PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return new ServerTls(context, chain.get(0));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw PemFiles.problem("--tls-key", keyFile, "cannot be used with " + certFile + ": " + e.getMessage());
        }
    }

    /**
     * Toward the upstream. Without a CA file, any certificate is accepted: the next hop is usually a server of the
     * same site, often with a self-signed certificate, and TLS there guards against eavesdropping on the wire
     * (Postfix's {@code smtp_tls_security_level = encrypt}). With one, the upstream's chain must lead to a CA in
     * it, and its certificate must name the {@code --upstream} host ({@code verify}).
     */
    public static UpstreamTls upstream(Path caFile) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            if (caFile == null) {
                context.init(null, new TrustManager[] {new AnyCertificate()}, null);
                return new UpstreamTls(context, false);
            }
            List<X509Certificate> cas = PemFiles.certificates(caFile, "--upstream-tls-ca");
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            context.init(null, trust.getTrustManagers(), null);
            return new UpstreamTls(context, true);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("--upstream-tls-ca: " + caFile + " cannot be used: " + e.getMessage(), e);
        }
    }

    /** Signs a few bytes with the key and checks the signature with the certificate's public key. */
    private static boolean belongTogether(X509Certificate certificate, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (algorithm == null) {
            return true; // a kind this check does not know: the handshake will tell
        }
        try {
            byte[] probe = "greylited".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // e.g. an EC key with an RSA certificate
        }
    }

    /** Trusts whatever certificate the upstream shows: encryption without authentication, by choice (see above). */
    private static final class AnyCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("greylited is the client here");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("greylited is the client here");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("greylited is the client here");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
