package org.greylite.wrapper;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.greylite.net.DnsServers;

/**
 * Reads {@code DNSCACHEIP} as djbdns programs (and dnsblenv) do: space-separated IP addresses of the resolvers
 * to ask, each with an optional port ({@code 192.0.2.53:5353}, {@code [2001:db8::53]:5353}), each read as
 * greylited reads its {@code --dns}. A bad entry is reported and skipped rather than refusing the connection:
 * the name check it serves only ever takes a name away, so a typo must not stop the mail.
 */
final class DnsCacheIp {

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
            try {
                servers.add(DnsServers.parse(entry, "DNSCACHEIP"));
            } catch (IllegalArgumentException e) {
                problems.accept(e.getMessage() + "; ignored");
            }
        }
        return servers;
    }
}
