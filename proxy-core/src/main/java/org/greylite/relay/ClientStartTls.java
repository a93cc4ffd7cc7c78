package org.greylite.relay;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.greylite.smtp.CommandLine;
import org.greylite.smtp.EhloReplyFilter;
import org.greylite.smtp.Reply;

/**
 * STARTTLS between the client and the proxy (RFC 3207), for one session. The proxy terminates TLS itself, so
 * the envelope stays visible to greylisting (SPEC §2); STARTTLS is never forwarded, and the upstream's
 * connection is not touched: after the handshake the client's new EHLO simply goes to it.
 *
 * <p>Without a transport that can terminate TLS (no certificate, or the UCSPI wrapper's pipes) STARTTLS is
 * not offered and gets {@code 454}, as before. Once TLS is active, a second STARTTLS gets {@code 503 5.5.1},
 * RFC 5321's "bad sequence of commands" (Postfix answers {@code 554 5.5.1}; a 454 would invite a retry that
 * can never succeed).
 */
final class ClientStartTls {

    private enum State { PLAIN, STARTING, ACTIVE }

    private final boolean available;
    private State state = State.PLAIN;
    private boolean secured; // the handshake finished: the session is under TLS

    ClientStartTls(boolean available) {
        this.available = available;
    }

    /** The upstream's (already filtered) EHLO reply with STARTTLS added, while TLS can still be started. */
    Reply advertise(Reply ehlo) {
        if (!available || state != State.PLAIN || !EhloReplyFilter.isPositive(ehlo)) {
            return ehlo;
        }
        List<String> lines = new ArrayList<>(ehlo.lines());
        lines.add("STARTTLS");
        StringBuilder raw = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            raw.append(ehlo.code()).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i)).append("\r\n");
        }
        return new Reply(ehlo.code(), lines, raw.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Why STARTTLS cannot start now, as the reply to give; null when the proxy may answer 220 and start. */
    Reply refusal(CommandLine c, Replies replies) {
        if (!available) {
            return replies.tlsUnavailable();
        }
        if (state != State.PLAIN) {
            return replies.tlsAlreadyActive();
        }
        if (!c.args().isEmpty()) {
            return replies.startTlsSyntax();
        }
        return null;
    }

    /** The 220 is queued: until the handshake begins, anything the client sends was sent in clear. */
    void starting() {
        state = State.STARTING;
    }

    /** True between STARTTLS and the start of the handshake: client input is to be thrown away. */
    boolean discardingInput() {
        return state == State.STARTING;
    }

    void started() {
        state = State.ACTIVE;
    }

    boolean active() {
        return state == State.ACTIVE;
    }

    /** The client's handshake has finished. */
    void secured() {
        secured = true;
    }

    /**
     * Whether the session went on under TLS, as its end line says: TLS is {@link #active()} from the 220 on, while
     * the handshake may still fail (a client that cannot agree on TLS, a scanner that sends clear text), and such a
     * session never was under TLS.
     */
    boolean wasSecured() {
        return secured;
    }
}
