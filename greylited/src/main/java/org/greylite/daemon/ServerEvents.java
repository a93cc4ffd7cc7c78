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
     * A client let in by the access rules was turned away with {@code 421} because it already had
     * {@code --client-connection-limit} sessions open ({@code "client"}), or greylited had {@code --connection-limit}
     * ({@code "total"}).
     */
    default void connectionLimitReached(String limit) {
    }

    /**
     * A trusted load balancer's connection was closed before a session began: its PROXY header was malformed
     * ({@code "malformed"}), did not come in time ({@code "timeout"}), or the connection ended within it
     * ({@code "closed"}).
     */
    default void proxyHeaderRefused(String reason) {
    }
}
