package org.greylite.wrapper;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Reads {@code TCPREMOTEIP} as an address literal, never asking DNS (a name there is an error, not a host to look up). */
final class ClientAddress {

    private ClientAddress() {
    }

    /** The address, or null when {@code text} is not an IPv4 or IPv6 literal. */
    static InetAddress parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        if (t.length() > 2 && t.charAt(0) == '[' && t.charAt(t.length() - 1) == ']') {
            t = t.substring(1, t.length() - 1);
        }
        try {
            if (t.indexOf(':') >= 0) {
                // Brackets make the JDK parse it as an IPv6 literal or fail: no lookup either way.
                return onlyHexColonsDots(t) ? InetAddress.getByName("[" + t + "]") : null;
            }
            return isDottedQuad(t) ? InetAddress.getByName(t) : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Exactly four decimal numbers 0-255 (the JDK alone would also take "127.1"). */
    static boolean isDottedQuad(String t) {
        int parts = 0;
        int value = -1;
        for (int i = 0; i <= t.length(); i++) {
            char c = i < t.length() ? t.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || ++parts > 4) {
                    return false;
                }
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = value < 0 ? c - '0' : value * 10 + (c - '0');
                if (value > 255) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return parts == 4;
    }

    private static boolean onlyHexColonsDots(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            boolean ok = c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
