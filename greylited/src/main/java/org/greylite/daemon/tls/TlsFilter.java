package org.greylite.daemon.tls;

import java.net.InetSocketAddress;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.ssl.SslFilter;

/**
 * MINA's {@link SslFilter} with the engine made here: MINA names the peer by
 * {@link InetSocketAddress#getHostName()}, which looks each client's address up in the DNS, on an I/O
 * thread; this names it by the address as text, or by the host the administrator wrote (the upstream).
 * Added to a session that is already open, it starts at once: a client-side filter sends its hello. The engine
 * runs the handshake's tasks itself ({@link InlineTaskEngine}), on the session's thread, rather than on MINA's
 * pool, so that one session's records are encrypted and passed on by one thread, in order.
 */
public final class TlsFilter extends SslFilter {

    /** The filter's name in a session's chain. */
    public static final String NAME = "tls";

    private final String peerHost;
    private final boolean checkName;

    private TlsFilter(SSLContext context, String peerHost, boolean checkName) {
        super(context);
        this.peerHost = peerHost;
        this.checkName = checkName;
    }

    /** For a client's connection: greylited is the TLS server. */
    public static TlsFilter towardClient(SSLContext context) {
        return new TlsFilter(context, null, false);
    }

    /** For the upstream's connection to {@code host} (as written in --upstream); with {@code checkName} its certificate must name it. */
    public static TlsFilter towardUpstream(TlsContexts.UpstreamTls tls, String host) {
        return new TlsFilter(tls.context(), host, tls.verify());
    }

    @Override
    protected SSLEngine createEngine(IoSession session, InetSocketAddress addr) {
        String host = peerHost != null ? peerHost : addr != null ? addr.getHostString() : null;
        SSLEngine engine = host != null && addr != null ? sslContext.createSSLEngine(host, addr.getPort())
                : sslContext.createSSLEngine();
        engine.setUseClientMode(!session.isServer());
        if (checkName) {
            SSLParameters p = engine.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 2818 name rules, IP addresses included
            engine.setSSLParameters(p);
        }
        return new InlineTaskEngine(engine);
    }
}
