package org.greylite.daemon;

import java.nio.file.Path;
import java.util.Locale;

import org.greylite.daemon.tls.TlsContexts;
import org.slf4j.Logger;

/**
 * The TLS options as greylited uses them: {@code --tls-cert}/{@code --tls-key} toward clients,
 * {@code --upstream-tls}/{@code --upstream-tls-ca} toward the upstream. The certificate is read again on SIGHUP;
 * the upstream's settings are read once, at start.
 *
 * @param client   the certificate for clients' STARTTLS, or null when none is given
 * @param upstream the upstream's TLS, or null when it stays in clear
 */
record TlsSetup(ServerCertificate client, TlsContexts.UpstreamTls upstream) {

    /**
     * The settings' values, without reading the files they name (for --print-config too): true when the upstream
     * connections start TLS.
     *
     * @throws IllegalArgumentException naming the setting at fault
     */
    static boolean check(Path cert, Path key, String upstreamMode, Path upstreamCa) {
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together: give both to offer STARTTLS, "
                    + "or neither (" + (cert == null ? "--tls-key" : "--tls-cert") + " is set alone)");
        }
        boolean startTls = switch (upstreamMode.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> false;
            case "starttls" -> true;
            default -> throw new IllegalArgumentException("--upstream-tls wants off or starttls, not '" + upstreamMode + "'");
        };
        if (!startTls && upstreamCa != null) {
            throw new IllegalArgumentException("--upstream-tls-ca is only used with --upstream-tls starttls");
        }
        return startTls;
    }

    /**
     * Checks and loads the files; logs what is offered.
     *
     * @throws IllegalArgumentException naming the option (and file) at fault
     */
    static TlsSetup of(Path cert, Path key, String upstreamMode, Path upstreamCa, Logger log) {
        boolean startTls = check(cert, key, upstreamMode, upstreamCa);
        ServerCertificate client = cert == null ? null : ServerCertificate.load(cert, key, log);
        if (!startTls) {
            return new TlsSetup(client, null);
        }
        TlsContexts.UpstreamTls upstream = TlsContexts.upstream(upstreamCa);
        log.info("upstream connections start TLS with STARTTLS; {}", upstreamCa == null
                ? "the upstream's certificate is not checked (--upstream-tls-ca not given)"
                : "the upstream's certificate must chain to a CA in " + upstreamCa + " and name the --upstream host");
        return new TlsSetup(client, upstream);
    }
}
