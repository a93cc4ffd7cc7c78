package org.greylite.wrapper;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads {@code DNSCACHEIP} as djbdns programs (and dnsblenv) do: space-separated IP addresses of the resolvers
 * to ask, each with an optional port ({@code 192.0.2.53:5353}, {@code [2001:db8::53]:5353}). A bad entry is
 * reported and skipped rather than refusing the connection: the name check it serves only ever takes a name
 * away, so a typo must not stop the mail.
 */
final class DnsCacheIp {

    static final int DNS_PORT = 53;

    private DnsCacheIp() {
    }

    /** The servers named in {@code value} (empty when it is null or names none); bad entries go to {@code problems}. */
    static List<InetSocketAddress> servers(String value, Consumer<String> problems) {
        List<InetSocketAddress> servers = new ArrayList<>();
        if (value == null) {
            return servers;
        }
        for (String entry : value.trim().split("\\s+")) {
            if (entry.isEmpty()) {
                continue;
            }
            InetSocketAddress server = server(entry);
            if (server != null) {
                servers.add(server);
            } else {
                problems.accept("DNSCACHEIP: ignoring '" + entry + "': not IP or IP:PORT");
            }
        }
        return servers;
    }

    private static InetSocketAddress server(String entry) {
        String host = entry;
        String port = null;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            String rest = close < 0 ? "" : entry.substring(close + 1);
            if (close < 0 || !(rest.isEmpty() || rest.startsWith(":"))) {
                return null;
            }
            host = entry.substring(1, close);
            port = rest.isEmpty() ? null : rest.substring(1);
        } else if (entry.indexOf(':') >= 0 && entry.indexOf(':') == entry.lastIndexOf(':')) {
            // One colon: IPv4:PORT. Several: a bare IPv6 address, which takes no port.
            host = entry.substring(0, entry.indexOf(':'));
            port = entry.substring(entry.indexOf(':') + 1);
        }
        InetAddress address = ClientAddress.parse(host); // literals only: a resolver's name would need a resolver
        int p = port == null ? DNS_PORT : port.matches("[0-9]{1,5}") ? Integer.parseInt(port) : -1;
        return address == null || p < 1 || p > 65535 ? null : new InetSocketAddress(address, p);
    }
}
