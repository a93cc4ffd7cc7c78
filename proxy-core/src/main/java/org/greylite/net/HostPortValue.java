package org.greylite.net;

import java.net.InetSocketAddress;

/**
 * A {@code HOST:PORT} (or {@code [IPV6]:PORT}) setting such as greylite-policy's {@code --metrics} or greydaemon's
 * {@code GREYLITE_METRICS}: the host is required, since a bare port would bind every address, which a metrics
 * endpoint should not do unasked. Mistakes are configuration errors naming the setting.
 */
public final class HostPortValue {

    private HostPortValue() {
    }

    /**
     * @param name        the flag or variable, for the message
     * @param examplePort the port the message's example shows when {@code text} gives none
     * @throws IllegalArgumentException naming {@code name} and {@code text} when it is not HOST:PORT
     */
    public static InetSocketAddress parse(String name, String text, int examplePort) {
        String bare = text.strip();
        if (bare.matches("[0-9]+")) {
            throw new IllegalArgumentException(name + ": '" + text + "' is not HOST:PORT, the host included (e.g. "
                    + "127.0.0.1:" + bare + " or [::1]:" + bare + ")");
        }
        int colon = text.lastIndexOf(':');
        String host = colon > 0 ? text.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (!host.isEmpty() && port >= 0 && port <= 65535) {
                return new InetSocketAddress(host, port);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(name + ": '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:" + examplePort + ")");
    }
}
