package org.greylite.daemon;

import java.net.InetAddress;

import org.greylite.relay.RelayEvents;

/**
 * What the {@link ProxyServer} tells about its connections, for metrics: each client connection and the
 * access decision on it, then the {@link RelayEvents} of the sessions it lets in. Must not block.
 */
public interface ServerEvents extends RelayEvents {

    /** Nothing is told to anyone. */
    ServerEvents NONE = new ServerEvents() {
    };

    /** A client has connected; {@code allowed} is false when the access rules turned it away. */
    default void clientConnected(InetAddress client, boolean allowed) {
    }

    /**
     * A trusted load balancer's connection was closed before a session began: its PROXY header was malformed
     * ({@code "malformed"}), did not come in time ({@code "timeout"}), or the connection ended within it
     * ({@code "closed"}).
     */
    default void proxyHeaderRefused(String reason) {
    }
}
