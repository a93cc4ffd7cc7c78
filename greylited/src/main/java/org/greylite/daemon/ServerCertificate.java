package org.greylite.daemon;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import org.greylite.daemon.tls.TlsContexts;
import org.slf4j.Logger;

/**
 * greylited's certificate and key for clients' STARTTLS ({@code --tls-cert}, {@code --tls-key}), read at start
 * and again on SIGHUP, so a renewed certificate (certbot's deploy hook: {@code systemctl reload greylited})
 * takes effect without a restart. Each new session takes the context in force when it starts; sessions under
 * TLS already keep theirs. Files that cannot be read on SIGHUP leave the certificate in use, with a warning.
 */
final class ServerCertificate implements Supplier<SSLContext> {

    private final Path cert;
    private final Path key;
    private volatile SSLContext context;

    private ServerCertificate(Path cert, Path key) {
        this.cert = cert;
        this.key = key;
    }

    /**
     * Reads the files; logs what is offered.
     *
     * @throws IllegalArgumentException naming the option and file at fault
     */
    static ServerCertificate load(Path cert, Path key, Logger log) {
        ServerCertificate c = new ServerCertificate(cert, key);
        c.context = c.read(log);
        return c;
    }

    @Override
    public SSLContext get() {
        return context;
    }

    /** SIGHUP: reads the files again; true when the new certificate is in force. */
    boolean reload(Logger log) {
        try {
            context = read(log);
            return true;
        } catch (RuntimeException e) {
            // An ERROR, as for every other file a reload cannot take: the old certificate serves until it expires,
            // and a warning is hidden at LOGTHRESHOLD=3, where an administrator is told only what needs them.
            log.error("SIGHUP: the TLS certificate cannot be read again ({}); the one read before stays in use",
                    e.getMessage());
            return false;
        }
    }

    private SSLContext read(Logger log) {
        TlsContexts.ServerTls server = TlsContexts.server(cert, key);
        X509Certificate c = server.certificate();
        log.info("STARTTLS offered to clients, certificate {} valid until {}", c.getSubjectX500Principal().getName(),
                c.getNotAfter().toInstant());
        if (c.getNotAfter().toInstant().isBefore(Instant.now())) {
            log.error("the certificate in {} expired on {}; clients that check it will refuse TLS", cert,
                    c.getNotAfter().toInstant());
        }
        return server.context();
    }
}
