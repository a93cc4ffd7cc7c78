package org.greylite.relay;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.greylite.net.AddressText;
import org.greylite.text.ClientText;
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

    /** Recipients greylisting let pass (or, greylisting off, passed on undecided): each decision counts once. */
    void accepted(int recipients) {
        rcptAccepted += recipients;
    }

    /** Recipients greylisting refused: each decision counts once, however many share the one reply (DATA's). */
    void refused(int recipients) {
        rcptRefused += recipients;
    }

    /** Logs the line, the first time only; {@code helo} as read ({@code Envelope#heloText}). */
    void log(String helo, boolean tls) {
        if (logged || !LOG.isInfoEnabled()) {
            return;
        }
        logged = true;
        String name = clientName();
        LOG.info("session end client={} ptr={} helo={} rcpt-accepted={} rcpt-refused={} messages={} bytes={} tls={} duration={}ms",
                AddressText.of(info.client()), name.isEmpty() ? "-" : ClientText.field(name),
                helo.isEmpty() ? "-" : ClientText.field(helo),
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
}
