package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.greylite.daemon.tls.PemFiles;
import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code postgresql://...?sslmode=verify-full} greydb whose server cannot be verified: the CA file missing,
 * a certificate from another CA, a certificate for another name. Only the administrator can fix that, as a wrong
 * password: greylited stops at start with one line and exit status 111, instead of starting as if the server
 * were down and letting every mail through ungreylisted for as long as it runs. The server here is PostgreSQL's
 * side of the TLS start (an {@code S} to the SSLRequest, then the handshake), which is all the driver reaches.
 */
@Timeout(120)
class PostgresTlsSetupTest {

    @TempDir
    Path dir;

    private ServerSocket listener;
    private SSLContext tls; // null: answer S, then no handshake
    private volatile boolean askClientCertificate;
    private volatile Certificate[] clientCertificate; // what a client showed in a handshake, when asked
    private final List<Socket> accepted = new ArrayList<>();

    @BeforeEach
    void listen() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::serve, "fake-postgres");
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void close() throws IOException {
        listener.close();
        synchronized (accepted) {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    private void serve() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                synchronized (accepted) {
                    accepted.add(s);
                }
                new DataInputStream(s.getInputStream()).readFully(new byte[8]); // the SSLRequest
                s.getOutputStream().write('S');
                s.getOutputStream().flush();
                SSLContext context = tls;
                if (context != null) {
                    SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(s, null, s.getPort(), true);
                    ssl.setUseClientMode(false);
                    ssl.setWantClientAuth(askClientCertificate);
                    try {
                        ssl.startHandshake();
                        if (askClientCertificate) {
                            clientCertificate = ssl.getSession().getPeerCertificates();
                        }
                    } catch (IOException refusedByTheClient) {
                        ssl.close();
                    }
                }
            } catch (IOException e) {
                // closed at the end of the test, or a client that left
            }
        }
    }

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ExternalPrograms.require("openssl").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl: " + out);
    }

    /** A self-signed certificate NAME.crt (key NAME.key) for {@code subject}, with the SAN {@code san}. */
    private Path selfSigned(String name, String subject, String san) throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".crt",
                "-subj", "/CN=" + subject, "-addext", "subjectAltName=" + san, "-days", "2");
        return dir.resolve(name + ".crt");
    }

    /** The fake server presents NAME.crt in its handshake. */
    private void present(String name) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", PemFiles.privateKey(dir.resolve(name + ".key"), "key"), new char[0],
                PemFiles.certificates(dir.resolve(name + ".crt"), "cert").toArray(Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        // Any client certificate is taken: what is checked is whether the client could show one.
        TrustManager anyClient = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), new TrustManager[] {anyClient}, null);
        tls = context;
    }

    private GreylitedProcess.Exit greylited(Path rootCert) throws Exception {
        return greylited(rootCert, "").runToExit();
    }

    private GreylitedProcess.Command greylited(Path rootCert, String moreParameters) throws Exception {
        String url = "postgresql://mx@127.0.0.1:" + listener.getLocalPort() + "/greylite?sslmode=verify-full&sslrootcert="
                + rootCert + moreParameters;
        try (ServerSocket upstream = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return GreylitedProcess.command((java.net.InetSocketAddress) upstream.getLocalSocketAddress())
                    .args("--busy-timeout", "2s", "--db", url)
                    .withoutEnv("DBFILE", "PGPASSWORD", "PGSSLKEY", "PGSSLCERT").env(Map.of("PGPASSWORD", "secret"));
        }
    }

    private static void stoppedSaying(GreylitedProcess.Exit exit, String says) {
        String out = exit.output();
        assertEquals(111, exit.status(), out);
        assertTrue(out.lines().anyMatch(l -> l.contains("/greylite: cannot connect: ") && l.contains(says)), out);
        assertFalse(out.contains("starting anyway") || out.contains("listening on"), out);
    }

    @Test
    void aCaFileThatDoesNotExistStopsTheStart() throws Exception {
        Path missing = dir.resolve("no-such-ca.crt");
        stoppedSaying(greylited(missing), missing.toString());
    }

    @Test
    void aServerCertificateFromAnotherCaStopsTheStart() throws Exception {
        selfSigned("server", "127.0.0.1", "IP:127.0.0.1");
        present("server");
        Path otherCa = selfSigned("other", "other CA", "DNS:ca.example.test");
        stoppedSaying(greylited(otherCa), "SSL error");
    }

    /**
     * A client key as {@code openssl genrsa -traditional} (and OpenSSL before 3) writes it, which psql takes and the
     * JDBC driver cannot read: greylited stops, naming the file and the command that writes it as PKCS#8; with the
     * file that command wrote, the driver shows the client certificate in its handshake. Before, the driver failed
     * inside the handshake, and greylited started as if the server were down, failing open for as long as it ran.
     */
    @Test
    void aClientKeyInOpenSslsTraditionalFormStopsTheStartWithTheCommandThatConvertsIt() throws Exception {
        Path serverCert = serverAskingForAClientCertificate();
        openssl("genrsa", "-traditional", "-out", "client.key", "2048");
        openssl("req", "-new", "-x509", "-key", "client.key", "-out", "client.crt", "-subj", "/CN=mx", "-days", "2");
        Path key = dir.resolve("client.key");
        String clientFiles = "&sslcert=" + dir.resolve("client.crt") + "&sslkey=";

        GreylitedProcess.Exit exit = greylited(serverCert, clientFiles + key).runToExit();

        stoppedSaying(exit, "sslkey " + key + " is a key in OpenSSL's traditional form (-----BEGIN RSA PRIVATE KEY-----)");
        String advice = "openssl pkcs8 -topk8 -nocrypt -in " + key + " -out " + key + ".pem";
        assertTrue(exit.output().contains(advice), exit.output());
        assertEquals(null, clientCertificate, "refused before any connection");

        openssl(advice.substring("openssl ".length()).split(" "));
        try (GreylitedProcess converted = greylited(serverCert, clientFiles + key + ".pem").start()) {
            awaitClientCertificate();
            assertFalse(converted.logged("traditional form"));
        }
    }

    /**
     * An encrypted key in PEM ({@code openssl genpkey -aes256}), which the driver reads only as DER: greylited stops,
     * naming the file and the command that writes it so; with that file and the password in {@code sslpassword}, the
     * driver shows the client certificate.
     */
    @Test
    void anEncryptedPemClientKeyStopsTheStartWithTheCommandThatWritesItAsDer() throws Exception {
        Path serverCert = serverAskingForAClientCertificate();
        openssl("genpkey", "-algorithm", "RSA", "-aes256", "-pass", "pass:s3cret", "-out", "client.key");
        openssl("req", "-new", "-x509", "-key", "client.key", "-passin", "pass:s3cret", "-out", "client.crt", "-subj",
                "/CN=mx", "-days", "2");
        Path key = dir.resolve("client.key");
        String clientFiles = "&sslcert=" + dir.resolve("client.crt") + "&sslpassword=s3cret&sslkey=";

        GreylitedProcess.Exit exit = greylited(serverCert, clientFiles + key).runToExit();

        stoppedSaying(exit, "sslkey " + key + " is an encrypted PEM key (-----BEGIN ENCRYPTED PRIVATE KEY-----)");
        String advice = "openssl pkcs8 -topk8 -in " + key + " -outform DER -v1 PBE-SHA1-3DES -out " + key + ".der";
        assertTrue(exit.output().contains(advice), exit.output());

        List<String> command = new ArrayList<>(List.of(advice.substring("openssl ".length()).split(" ")));
        command.addAll(List.of("-passin", "pass:s3cret", "-passout", "pass:s3cret")); // asked at a terminal
        openssl(command.toArray(String[]::new));
        try (GreylitedProcess converted = greylited(serverCert, clientFiles + key + ".der").start()) {
            awaitClientCertificate();
            assertFalse(converted.logged("encrypted PEM key"));
        }
    }

    /** The fake server presents a certificate for 127.0.0.1 (returned: the CA file to verify it by) and asks for one. */
    private Path serverAskingForAClientCertificate() throws Exception {
        Path cert = selfSigned("server", "127.0.0.1", "IP:127.0.0.1");
        present("server");
        askClientCertificate = true;
        return cert;
    }

    /** Waits for the fake server to have been shown a client certificate. */
    private void awaitClientCertificate() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (clientCertificate == null && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(clientCertificate != null && clientCertificate.length > 0, "the driver showed no client certificate");
    }

    @Test
    void aServerCertificateForAnotherNameStopsTheStart() throws Exception {
        Path cert = selfSigned("server", "db.example.test", "DNS:db.example.test");
        present("server");
        stoppedSaying(greylited(cert), "could not be verified");
    }
}
