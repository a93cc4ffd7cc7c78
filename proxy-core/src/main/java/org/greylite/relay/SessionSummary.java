package org.greylite.relay;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.greylite.net.AddressText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a session did, counted as it goes and said once at its end in the {@code session end} log line: who the
 * client was, how many recipients were accepted and refused, how many messages and bytes it sent.
 */
final class SessionSummary {

    /** The logger named after the relay, so that the line keeps its place in administrators' log filters. */
    private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);

    private final SessionInfo info;
    private final long startedNanos = System.nanoTime();
    private CompletableFuture<String> nameLookup; // null: the name is info.ptrName()
    private long clientBytes;
    private int messages;
    private int rcptAccepted;
    private int rcptRefused;
    private boolean logged;

    SessionSummary(SessionInfo info) {
        this.info = info;
    }

    void nameFrom(CompletableFuture<String> lookup) {
        this.nameLookup = Objects.requireNonNull(lookup, "lookup");
    }

    void clientSent(long bytes) {
        clientBytes += bytes;
    }

    void messageDelivered() {
        messages++;
    }

    void accepted(int recipients) {
        rcptAccepted += recipients;
    }

    void refused() {
        rcptRefused++;
    }

    /** Logs the line, the first time only. */
    void log(String helo, boolean tls) {
        if (logged || !LOG.isInfoEnabled()) {
            return;
        }
        logged = true;
        String name = clientName();
        LOG.info("session end client={} ptr={} helo={} rcpt-accepted={} rcpt-refused={} messages={} bytes={} tls={} duration={}ms",
                AddressText.of(info.client()), name.isEmpty() ? "-" : name,
                helo.isEmpty() ? "-" : printable(helo),
                rcptAccepted, rcptRefused, messages, clientBytes, tls ? "yes" : "no",
                (System.nanoTime() - startedNanos) / 1_000_000);
    }

    private String clientName() {
        if (!info.ptrName().isEmpty() || nameLookup == null || !nameLookup.isDone() || nameLookup.isCompletedExceptionally()) {
            return info.ptrName();
        }
        String name = nameLookup.getNow("");
        return name == null ? "" : name;
    }

    /** Client text for the log: anything but printable ASCII becomes '?', so it cannot forge a line. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c > 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
