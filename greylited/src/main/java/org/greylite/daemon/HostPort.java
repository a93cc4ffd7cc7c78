package org.greylite.daemon;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Parses {@code HOST:PORT}, {@code [IPv6]:PORT}, for the command line. */
final class HostPort {

    private HostPort() {
    }

    /**
     * @throws IllegalArgumentException naming {@code flag}, for text that is no address
     * @throws UncheckedIOException     for a host name that does not resolve (yet: DNS may not be up at boot)
     */
    static InetSocketAddress parse(String text, String flag) {
        String t = text.trim();
        if (t.matches("[0-9]+")) {
            // A bare port, as postgrey's --inet takes one: here the address is part of the choice.
            throw new IllegalArgumentException(flag + " wants HOST:PORT, the host included (e.g. 127.0.0.1:" + t
                    + " or [::1]:" + t + "), not '" + text + "'");
        }
        if (t.startsWith("[") && t.endsWith("]")) {
            // The address alone, as ucspi2socket takes it (its port an argument of its own): the last colon is the
            // address's, and was taken for the port's, telling the administrator to write the brackets written.
            throw new IllegalArgumentException(flag + " wants a port after the address (e.g. " + t + ":25), not '"
                    + text + "'");
        }
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
            throw new UncheckedIOException(flag + ": cannot resolve host '" + host + "'", new UnknownHostException(host));
        }
        return a;
    }
}
