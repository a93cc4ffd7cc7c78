package org.greylite.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads DNS server addresses as an administrator writes them: {@code 192.0.2.53}, {@code 192.0.2.53:5353},
 * {@code 2001:db8::53}, {@code [2001:db8::53]:5353}, {@code [fe80::1%eth0]:53}. IP addresses only: a resolver named by a host name would
 * need a resolver to find it.
 */
public final class DnsServers {

    public static final int DNS_PORT = 53;

    private DnsServers() {
    }

    /**
     * Parses one server.
     *
     * @param what names the setting in the error message, e.g. {@code --dns}
     * @throws IllegalArgumentException naming the setting and what it wants
     */
    public static InetSocketAddress parse(String text, String what) {
        String t = text.trim();
        String host = t;
        int port = DNS_PORT;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            String rest = close < 0 ? "" : t.substring(close + 1);
            if (close < 0 || !(rest.isEmpty() || rest.startsWith(":"))) {
                throw bad(text, what);
            }
            host = t.substring(1, close);
            port = rest.isEmpty() ? DNS_PORT : port(rest.substring(1), text, what);
        } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
            // One colon: IPv4:PORT. Several: a bare IPv6 address, which takes no port.
            host = t.substring(0, t.indexOf(':'));
            port = port(t.substring(t.indexOf(':') + 1), text, what);
        }
        return new InetSocketAddress(address(host).orElseThrow(() -> bad(text, what)), port);
    }

    /**
     * The server's address; an IPv6 one may carry its zone ({@code fe80::1%eth0}), which a link-local resolver (a
     * router's) cannot be reached without, and which is kept. An interface the host does not have is no address.
     */
    private static Optional<InetAddress> address(String host) {
        int zone = host.indexOf('%');
        if (zone < 0) {
            return IpLiteral.parse(host);
        }
        String literal = host.substring(0, zone);
        if (literal.indexOf(':') < 0 || IpLiteral.parse(literal).isEmpty() || zone == host.length() - 1) {
            return Optional.empty();
        }
        try {
            // A literal with a zone: getByName reads it and never asks the DNS.
            return Optional.of(InetAddress.getByName(host));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** Parses a space-separated list, as in djbdns' {@code DNSCACHEIP}. */
    public static List<InetSocketAddress> parseList(String text, String what) {
        return parseList(text, what, e -> {
            throw e;
        });
    }

    /**
     * As {@link #parseList(String, String)}, a bad entry going to {@code bad} (which may throw it) instead of
     * ending the list; null reads as none.
     */
    public static List<InetSocketAddress> parseList(String text, String what,
                                                    java.util.function.Consumer<IllegalArgumentException> bad) {
        List<InetSocketAddress> servers = new ArrayList<>();
        if (text == null) {
            return servers;
        }
        for (String entry : text.trim().split("\\s+")) {
            if (!entry.isEmpty()) {
                try {
                    servers.add(parse(entry, what));
                } catch (IllegalArgumentException e) {
                    bad.accept(e);
                }
            }
        }
        return servers;
    }

    private static int port(String text, String whole, String what) {
        if (!text.matches("[0-9]{1,5}")) {
            throw bad(whole, what);
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) {
            throw bad(whole, what);
        }
        return port;
    }

    private static IllegalArgumentException bad(String text, String what) {
        return new IllegalArgumentException(what + " wants an IP address with an optional port (192.0.2.53, "
                + "192.0.2.53:5353, [2001:db8::53]:5353), not '" + text + "'");
    }

    /**
     * A resolver over {@code servers} (the system's when empty), a description of it for logs, and the delay
     * after which it sends a query again.
     */
    public record Resolvers(org.xbill.DNS.Resolver resolver, String description, java.time.Duration firstRetry) {
    }

    /**
     * The resolver every connect-time lookup uses: a query without an answer is sent again, to the next
     * server, after a short delay that doubles each time ({@link RetryingResolver}), all within
     * {@code timeout}; the first delay leaves room for {@code rounds} queries in a row (a PTR lookup needs
     * two: PTR, then A/AAAA).
     */
    public static Resolvers resolvers(List<InetSocketAddress> servers, java.time.Duration timeout, int rounds) {
        List<InetSocketAddress> use = servers;
        String origin = "";
        if (use.isEmpty()) {
            use = org.xbill.DNS.ResolverConfig.getCurrentConfig().servers();
            origin = " (the system's)";
        }
        if (use.isEmpty()) {
            use = List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), DNS_PORT));
        }
        RetryingResolver resolver = new RetryingResolver(use, timeout, RetryingResolver.firstRetry(timeout, rounds));
        StringBuilder names = new StringBuilder();
        for (InetSocketAddress a : use) {
            String host = AddressText.of(a.getAddress());
            names.append(names.length() == 0 ? "" : " ").append(host.contains(":") ? "[" + host + "]" : host)
                    .append(':').append(a.getPort());
        }
        return new Resolvers(resolver, names + origin, resolver.firstRetry());
    }
}
