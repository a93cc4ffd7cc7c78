package org.greylite.daemon;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;

import org.greylite.net.AddressText;

/**
 * An --upstream that is greylited's own --listen address: each session would connect to greylited again, that one
 * once more, and so on until the client connection limit answered the innermost with 421 "too many connections from
 * 127.0.0.1", a message that points anywhere but at the configuration. Refused at the start instead.
 */
final class RelayToItself {

    private RelayToItself() {
    }

    /** @throws IllegalArgumentException when {@code upstream} is where greylited itself listens */
    static void refuse(String listenOrigin, InetSocketAddress listen, String upstreamOrigin, InetSocketAddress upstream) {
        if (listen.getPort() == 0 || listen.getPort() != upstream.getPort()) {
            return;
        }
        InetAddress to = upstream.getAddress();
        InetAddress on = listen.getAddress();
        // 0.0.0.0 answers IPv4 only; :: answers both (Java's sockets are dual-stack).
        boolean answers = on.isAnyLocalAddress() && (on instanceof java.net.Inet6Address || to instanceof java.net.Inet4Address);
        boolean itself = to.equals(on) || (answers && isLocal(to));
        if (itself) {
            throw new IllegalArgumentException(upstreamOrigin + " (" + AddressText.withPort(upstream) + ") is greylited's own "
                    + listenOrigin + " (" + AddressText.withPort(listen) + "): it would relay every session to itself; "
                    + "give the address of the SMTP server behind greylited");
        }
    }

    /** An address of this host, which a listener on every address answers. */
    private static boolean isLocal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false; // cannot tell: let the start go on, as before
        }
    }
}
