package org.greylite.net;

import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Why a DNS query failed, in the words of a log line: the DNSBL checks of dnsblenv and the PTR lookups of greylited's
 * connect stage log the same failures of the same resolver ({@link DnsServers#resolvers}), and say them alike.
 */
public final class DnsFailureText {

    private DnsFailureText() {
    }

    /**
     * The failure under the wrappers of the futures that carried it: "timed out", "port unreachable (no DNS server
     * there)" (an ICMP answer from an address where no server listens), else its message, or its class's name
     * when it has none.
     */
    public static String of(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof TimeoutException || t instanceof SocketTimeoutException) {
            return "timed out";
        }
        if (t instanceof PortUnreachableException) {
            return "port unreachable (no DNS server there)";
        }
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }
}
