package org.greylite.daemon;

import java.net.InetSocketAddress;

import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;

/**
 * The two ends of a client's connection as the relay sees them: the socket's own, or, behind a load
 * balancer, the ones its PROXY protocol header gave ({@link ProxyHeaderHandler}). Everything about the
 * client (access rules, PTR and DNSWL lookups, greylisting, logs, the header sent upstream) uses these.
 *
 * @param client where the client connects from
 * @param local  where it connected to
 */
record ClientEndpoints(InetSocketAddress client, InetSocketAddress local) {

    private static final AttributeKey KEY = new AttributeKey(ClientEndpoints.class, "endpoints");

    /** The ends a header gave for {@code session}, else the session's own. */
    static ClientEndpoints of(IoSession session) {
        ClientEndpoints given = (ClientEndpoints) session.getAttribute(KEY);
        return given != null ? given
                : new ClientEndpoints((InetSocketAddress) session.getRemoteAddress(),
                        (InetSocketAddress) session.getLocalAddress());
    }

    /** From now on these are {@code session}'s ends for {@link #of}. */
    void attachTo(IoSession session) {
        session.setAttribute(KEY, this);
    }
}
