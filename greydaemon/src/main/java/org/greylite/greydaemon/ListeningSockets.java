package org.greylite.greydaemon;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.greylite.net.AddressText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP sockets greydaemon answers on: one bound to the address it was given, or, for a wildcard
 * ({@code 0.0.0.0}, {@code [::]}), one bound to each of the host's addresses ({@link HostAddresses}), all on the
 * same port.
 *
 * <h2>Why not one socket on the wildcard</h2>
 * An answer must come from the address its request was sent to: the patched qmail-smtpd asks from a connected
 * UDP socket, which drops a datagram from any other address, waits out its timeout and lets the mail in. A
 * socket bound to the wildcard sends from the address the kernel chooses for the client (the primary address of
 * the route to it), not from a secondary or floating address the client asked; saying which address to send
 * from takes the request's destination (IP_PKTINFO), which Java's sockets do not give. A socket bound to the
 * address itself sends from it. A wildcard socket kept beside them, for addresses not bound yet, would need
 * SO_REUSEADDR or SO_REUSEPORT on every socket, which lets another process bind the very same port unnoticed,
 * where now a port taken stops the start; and what it answers would come from the wrong address anyway.
 *
 * <p>The set follows the host's addresses ({@link #follow}): the service scans them every few seconds and on
 * SIGHUP, binds the new ones and closes the sockets of addresses gone (IPv6 temporary addresses come and go
 * every day). Used by the service's one thread only, once started.
 */
final class ListeningSockets implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ListeningSockets.class);

    private final InetSocketAddress listen;
    /** Every socket's port: the one given, or the first socket's when 0 was given (tests). */
    private int port;
    /** The sockets by their address's text ({@link HostAddresses#under} says why the text). */
    private final Map<String, DatagramChannel> byAddress;
    /** Addresses that could not be bound, said once each until they are bound or gone. */
    private final Set<String> failed = new HashSet<>();

    private ListeningSockets(InetSocketAddress listen, int port, Map<String, DatagramChannel> byAddress) {
        this.listen = listen;
        this.port = port;
        this.byAddress = byAddress;
    }

    /**
     * The sockets for {@code listen}, bound before anything else is done at start, so that a port already taken
     * stops a start that has changed nothing yet (see {@link GreyDaemon#start}). For a wildcard, an address whose
     * port is taken stops it too; an address that cannot be bound at all yet (an IPv6 address still checked for
     * duplicates on its link) is said and tried again at each scan.
     *
     * @throws IOException naming the address when it cannot be bound
     */
    static ListeningSockets bind(InetSocketAddress listen) throws IOException {
        Map<String, DatagramChannel> byAddress = new LinkedHashMap<>();
        if (!HostAddresses.isWildcard(listen.getAddress())) {
            DatagramChannel ch = bindOne(listen);
            byAddress.put(AddressText.of(listen.getAddress()), ch);
            return new ListeningSockets(listen, port(ch), byAddress);
        }
        Map<String, InetAddress> addresses = HostAddresses.under(listen.getAddress());
        ListeningSockets sockets = new ListeningSockets(listen, listen.getPort(), byAddress);
        try {
            for (Map.Entry<String, InetAddress> a : addresses.entrySet()) {
                DatagramChannel ch = sockets.tryBind(a.getKey(), new InetSocketAddress(a.getValue(), sockets.port));
                if (ch != null) {
                    byAddress.put(a.getKey(), ch);
                    sockets.port = port(ch);
                }
            }
        } catch (IOException e) {
            sockets.close();
            throw e;
        }
        if (byAddress.isEmpty()) {
            throw new IOException("cannot bind UDP " + AddressText.withPort(listen) + ": none of this host's"
                    + " addresses (" + String.join(", ", addresses.keySet()) + ") can be bound");
        }
        return sockets;
    }

    /** Whether the sockets follow the host's addresses (the address given was a wildcard). */
    boolean followHost() {
        return HostAddresses.isWildcard(listen.getAddress());
    }

    /** The address as given, with the port the sockets are bound to. */
    InetSocketAddress address() {
        return new InetSocketAddress(listen.getAddress(), port);
    }

    /** The sockets now bound. */
    List<DatagramChannel> channels() {
        return List.copyOf(byAddress.values());
    }

    /** The addresses listened on, for the log. */
    String describe() {
        return String.join(", ", byAddress.keySet());
    }

    /**
     * Brings the sockets in line with the host's addresses {@code now}: binds a socket to each address not bound
     * yet and closes those of addresses the host no longer has, each said in the log.
     *
     * @return the sockets bound now, which the caller registers with its selector
     */
    List<DatagramChannel> follow(Map<String, InetAddress> now) {
        for (Iterator<Map.Entry<String, DatagramChannel>> it = byAddress.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, DatagramChannel> e = it.next();
            if (!now.containsKey(e.getKey())) {
                it.remove();
                closeQuietly(e.getValue());
                LOG.info("no longer listening on {}: the host no longer has the address", withPort(e.getKey()));
            }
        }
        failed.retainAll(now.keySet());
        List<DatagramChannel> added = new ArrayList<>();
        for (Map.Entry<String, InetAddress> a : now.entrySet()) {
            if (byAddress.containsKey(a.getKey())) {
                continue;
            }
            try {
                DatagramChannel ch = tryBind(a.getKey(), new InetSocketAddress(a.getValue(), port));
                if (ch != null) {
                    byAddress.put(a.getKey(), ch);
                    added.add(ch);
                    LOG.info("now also listening on {}: an address the host has now", withPort(a.getKey()));
                }
            } catch (IOException e) {
                if (failed.add(a.getKey())) { // once, not at every scan
                    LOG.warn("{}; tried again at each scan", e.getMessage());
                }
            }
        }
        return added;
    }

    /**
     * A socket bound to {@code at}, or null when the address cannot be bound at all yet (said once; another
     * socket of it binds to port 0 no better): an IPv6 address checked for duplicates on its link, or one found
     * duplicated there, is the host's without being usable.
     *
     * @throws IOException when the port is taken on the address
     */
    private DatagramChannel tryBind(String text, InetSocketAddress at) throws IOException {
        try {
            DatagramChannel ch = bindOne(at);
            failed.remove(text);
            return ch;
        } catch (IOException e) {
            if (at.getPort() != 0 && addressUsable(at.getAddress())) {
                throw e; // the port is taken there
            }
            if (failed.add(text)) {
                LOG.warn("{}; the address is not usable yet, tried again at each scan", e.getMessage());
            }
            return null;
        }
    }

    /** Whether a socket can be bound to {@code a} on some port: the test that tells a taken port from the rest. */
    private static boolean addressUsable(InetAddress a) {
        try (DatagramChannel probe = open(a)) {
            probe.bind(new InetSocketAddress(a, 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static DatagramChannel bindOne(InetSocketAddress at) throws IOException {
        DatagramChannel ch = open(at.getAddress());
        try {
            // A burst from many qmail-smtpd processes waits in the kernel rather than being dropped there.
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            ch.bind(at);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot bind UDP " + AddressText.withPort(at) + ": " + e.getMessage(), e);
        }
        return ch;
    }

    private static DatagramChannel open(InetAddress a) throws IOException {
        return DatagramChannel.open(a instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
    }

    private static int port(DatagramChannel ch) throws IOException {
        return ((InetSocketAddress) ch.getLocalAddress()).getPort();
    }

    /** An address's text with the port, as {@link AddressText#withPort} writes it. */
    private String withPort(String address) {
        return (address.indexOf(':') >= 0 ? "[" + address + "]" : address) + ":" + port;
    }

    private static void closeQuietly(DatagramChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.warn("closing a UDP socket: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        byAddress.values().forEach(ListeningSockets::closeQuietly);
        byAddress.clear();
    }
}
