package org.greylite.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.greylite.store.GreydbLocation.Server;

/**
 * libpq's {@code host}, {@code port} and {@code hostaddr} in a greydb URL's query, which psql honours over the URL's
 * own host and port and the JDBC driver ignores: {@code postgresql://greylite@db/greylite?port=5433} reached port
 * 5432, and {@code postgresql://greylite@localhost/greylite?host=/var/run/postgresql} went over TCP to localhost, with
 * another pg_hba.conf line and often another password, where psql had used the unix socket. They are read here as
 * libpq reads them; what the driver cannot do (a unix socket) is refused, saying what to write instead.
 */
final class LibpqHostParameters {

    /** Said wherever a URL names no TCP server: the driver has no unix sockets, and what to write instead. */
    static final String NO_UNIX_SOCKET = "a unix socket (a URL without a host, or a directory as its host) cannot be"
            + " used: the PostgreSQL JDBC driver connects over TCP only. Name the server's TCP address (127.0.0.1"
            + " on the same host) and let pg_hba.conf admit it (host DATABASE USER 127.0.0.1/32 scram-sha-256)";

    private LibpqHostParameters() {
    }

    /**
     * The servers the URL names: those of its authority ({@code fromAuthority}, empty when it has none), with the
     * query's {@code host} in their place and its {@code port} for their ports when given, as libpq takes them (one
     * port for every host, or one each). The three parameters are taken out of {@code params}.
     *
     * @throws IllegalArgumentException for a socket directory, a URL naming no server, {@code hostaddr}, or ports that
     *                                  do not match the hosts
     */
    static List<Server> servers(List<Server> fromAuthority, Map<String, String> params, String url) {
        String hostParam = params.remove("host");
        String portParam = params.remove("port");
        String hostaddr = params.remove("hostaddr");
        if (hostaddr != null) {
            throw new IllegalArgumentException("greydb URL '" + url + "': hostaddr is not taken; write the address as"
                    + " the host: postgresql://USER@" + hostaddr + "/DATABASE");
        }
        List<String> hosts = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        if (hostParam != null && !hostParam.isEmpty()) {
            for (String host : hostParam.split(",", -1)) {
                hosts.add(host(host.trim(), url));
            }
            // The URL's port stays unless the query gives one: one port for all the hosts, or one each.
            Set<Integer> authorityPorts = new LinkedHashSet<>();
            fromAuthority.forEach(s -> authorityPorts.add(s.port()));
            if (authorityPorts.size() <= 1) {
                int port = authorityPorts.isEmpty() ? GreydbLocation.Postgres.DEFAULT_PORT : authorityPorts.iterator().next();
                hosts.forEach(h -> ports.add(port));
            } else {
                fromAuthority.forEach(s -> ports.add(s.port()));
            }
        } else {
            fromAuthority.forEach(s -> {
                hosts.add(s.host());
                ports.add(s.port());
            });
        }
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("greydb URL '" + url + "' must name a host: postgresql://USER@HOST[:PORT]"
                    + "/DATABASE, or HOST1[:PORT1],HOST2[:PORT2]; " + NO_UNIX_SOCKET);
        }
        if (portParam != null && !portParam.isEmpty()) {
            String[] given = portParam.split(",", -1);
            if (given.length != 1 && given.length != hosts.size()) {
                throw new IllegalArgumentException("greydb URL '" + url + "': port gives " + given.length + " ports for "
                        + hosts.size() + " servers; give one port for all, or one for each");
            }
            ports.clear();
            for (int i = 0; i < hosts.size(); i++) {
                ports.add(port(given[given.length == 1 ? 0 : i], url));
            }
        }
        if (ports.size() != hosts.size()) {
            throw new IllegalArgumentException("greydb URL '" + url + "': " + ports.size() + " ports for "
                    + hosts.size() + " servers in host; give one port for all in port, or one for each");
        }
        List<Server> servers = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            servers.add(new Server(hosts.get(i), ports.get(i)));
        }
        return servers;
    }

    /** One name or address of {@code host}, as the URL's authority would hold it ({@code [::1]} for IPv6). */
    private static String host(String host, String url) {
        if (host.startsWith("/") || host.startsWith("@")) {
            throw new IllegalArgumentException("greydb URL '" + url + "': host " + host + " is a unix socket's directory; "
                    + NO_UNIX_SOCKET);
        }
        String bracketed = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        URI uri;
        try {
            uri = host.isEmpty() ? null : new URI("postgresql://" + bracketed);
        } catch (URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getRawUserInfo() != null || uri.getPort() != -1
                || !uri.getRawPath().isEmpty()) {
            throw new IllegalArgumentException("greydb URL '" + url + "': bad server '" + host + "' in host"
                    + " (HOST1,HOST2...; the ports go in port)");
        }
        return uri.getHost();
    }

    private static int port(String text, String url) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("greydb URL '" + url + "': bad port '" + text + "' in port");
    }
}
