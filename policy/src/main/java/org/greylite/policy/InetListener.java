package org.greylite.policy;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;

/**
 * Opens the TCP listener of {@code --inet} on the address family its address names, as postgrey binds it: an IPv4
 * address on an IPv4 socket, so that {@code 0.0.0.0} takes IPv4 clients alone; the IPv6 wildcard ({@code *}, no
 * host, {@code [::]}) on every address of both families.
 *
 * <p>Why not the JDK's default socket: it is an IPv6 one that binds {@code 0.0.0.0} as {@code ::}, which takes IPv6
 * clients too. The service records a triplet for whoever asks, so a listener reachable on a family the
 * administrator did not name, and that the firewall may leave open, lets anyone there pre-record triplets and pass
 * greylisting.
 */
final class InetListener {

    private InetListener() {
    }

    /** A bound listener; the caller closes it. */
    static ServerSocketChannel open(InetSocketAddress address, int backlog) throws IOException {
        ServerSocketChannel ch;
        InetSocketAddress bindTo = address;
        if (address.getAddress() instanceof Inet4Address) {
            ch = ServerSocketChannel.open(StandardProtocolFamily.INET);
        } else {
            ch = ServerSocketChannel.open();
            if (address.getAddress().isAnyLocalAddress()) {
                // The JDK's own wildcard on its default socket: both families where the host has IPv6, IPv4 where
                // it has not (where binding :: itself fails).
                bindTo = new InetSocketAddress(address.getPort());
            }
        }
        try {
            ch.bind(bindTo, backlog);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return ch;
    }
}
