package org.greylite.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;

/**
 * Opens a TCP listener on the address family its address names: an IPv4 address on an IPv4 socket, so that
 * {@code 0.0.0.0} takes IPv4 clients alone; the IPv6 wildcard ({@code [::]}, postgrey's {@code *}) on every address
 * of both families. greylited's {@code --listen} and greylite-policy's {@code --inet} listen so.
 *
 * <p>Why not the JDK's default socket: it is an IPv6 one that binds {@code 0.0.0.0} as {@code ::}, which takes IPv6
 * clients too. An administrator who wrote {@code 0.0.0.0} has firewalled, or not thought of, the IPv6 side: there
 * the proxy would take mail the host never meant to receive on that family, and the policy service, which records a
 * triplet for whoever asks, would let anyone pre-record triplets and pass greylisting.
 */
public final class InetListener {

    private InetListener() {
    }

    /** A listener bound to {@code address}; the caller closes it. */
    public static ServerSocketChannel open(InetSocketAddress address, int backlog) throws IOException {
        ServerSocketChannel ch = unbound(address);
        try {
            ch.bind(bindAddress(address), backlog);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    /** An unbound listener of the family {@code address} names, for a caller that sets options before binding. */
    public static ServerSocketChannel unbound(SocketAddress address) throws IOException {
        return address instanceof InetSocketAddress inet && inet.getAddress() instanceof Inet4Address
                ? ServerSocketChannel.open(StandardProtocolFamily.INET)
                : ServerSocketChannel.open();
    }

    /**
     * Where to bind a listener {@link #unbound} made: the IPv6 wildcard becomes the JDK's own wildcard on its default
     * socket, both families where the host has IPv6 and IPv4 where it has not (where binding {@code ::} itself fails).
     */
    public static SocketAddress bindAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null
                && !(inet.getAddress() instanceof Inet4Address) && inet.getAddress().isAnyLocalAddress()) {
            return new InetSocketAddress(inet.getPort());
        }
        return address;
    }
}
