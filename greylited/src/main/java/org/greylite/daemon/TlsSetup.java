package org.greylite.daemon;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Locale;

import javax.net.ssl.SSLContext;

import org.greylite.daemon.tls.TlsContexts;
import org.slf4j.Logger;

/**
 * The TLS options as greylited uses them: {@code --tls-cert}/{@code --tls-key} toward clients,
 * {@code --upstream-tls}/{@code --upstream-tls-ca} toward the upstream. Read once, at start.
 *
 * @param client   the context for clients' STARTTLS, or null when no certificate is given
 * @param upstream the upstream's TLS, or null when it stays in clear
 */
record TlsSetup(SSLContext client, TlsContexts.UpstreamTls upstream) {

    /**
     * Checks and loads the files; logs what is offered.
     *
     * @throws IllegalArgumentException naming the option (and file) at fault
     */
    static TlsSetup of(Path cert, Path key, String upstreamMode, Path upstreamCa, Logger log) {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together: give both to offer STARTTLS, "
                    + "or neither (" + (cert == null ? "--tls-key" : "--tls-cert") + " is set alone)");
        }
        SSLContext client = null;
        if (cert != null) {
            TlsContexts.ServerTls server = TlsContexts.server(cert, key);
            client = server.context();
            X509Certificate c = server.certificate();
            log.info("STARTTLS offered to clients, certificate {} valid until {}", c.getSubjectX500Principal().getName(),
                    c.getNotAfter().toInstant());
            if (c.getNotAfter().toInstant().isBefore(Instant.now())) {
                log.warn("the certificate in {} expired on {}; clients that check it will refuse TLS", cert,
                        c.getNotAfter().toInstant());
            }
        }
        boolean startTls = switch (upstreamMode.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> false;
            case "starttls" -> true;
            default -> throw new IllegalArgumentException("--upstream-tls wants off or starttls, not '" + upstreamMode + "'");
        };
        if (!startTls) {
            if (upstreamCa != null) {
                throw new IllegalArgumentException("--upstream-tls-ca is only used with --upstream-tls starttls");
            }
            return new TlsSetup(client, null);
        }
        TlsContexts.UpstreamTls upstream = TlsContexts.upstream(upstreamCa);
        log.info("upstream connections start TLS with STARTTLS; {}", upstreamCa == null
                ? "the upstream's certificate is not checked (--upstream-tls-ca not given)"
                : "the upstream's certificate must chain to a CA in " + upstreamCa + " and name the --upstream host");
        return new TlsSetup(client, upstream);
    }
}
