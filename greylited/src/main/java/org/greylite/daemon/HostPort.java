package org.greylite.daemon;

import java.net.InetSocketAddress;

/** Parses {@code HOST:PORT}, {@code [IPv6]:PORT}, for the command line. */
final class HostPort {

    private HostPort() {
    }

    static InetSocketAddress parse(String text, String flag) {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException(flag + " wants HOST:PORT (e.g. 127.0.0.1:2525 or [::1]:25), not '" + text + "'");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException(flag + ": write an IPv6 address in brackets, e.g. [::1]:25, not '" + text + "'");
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(flag + ": bad port in '" + text + "'");
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new IllegalArgumentException(flag + ": cannot resolve host '" + host + "'");
        }
        return a;
    }
}
